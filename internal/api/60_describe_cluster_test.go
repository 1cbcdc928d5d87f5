package api

import (
	"testing"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

func TestDescribeCluster(t *testing.T) {
	e := newTestEnv(t, nil)
	for _, tc := range []struct {
		name     string
		version  int16
		endpoint int8
		wantErr  int16
	}{
		{"v0", 0, 1, 0},
		{"v1 brokers", 1, 1, 0},
		{"v1 controllers", 1, 2, kerr.UnsupportedEndpointType.Code},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req := kmsg.NewPtrDescribeClusterRequest()
			req.EndpointType = tc.endpoint
			resp := e.do(t, req, tc.version).(*kmsg.DescribeClusterResponse)
			if resp.ErrorCode != tc.wantErr {
				t.Fatalf("got %v, want %v", kerr.ErrorForCode(resp.ErrorCode), kerr.ErrorForCode(tc.wantErr))
			}
			if tc.wantErr != 0 {
				return
			}
			if resp.ClusterID == "" || resp.ClusterID != e.Ctrl.ClusterID() {
				t.Errorf("cluster id %q, want %q", resp.ClusterID, e.Ctrl.ClusterID())
			}
			if resp.ControllerID != e.NodeID {
				t.Errorf("controller %d, want %d", resp.ControllerID, e.NodeID)
			}
			if len(resp.Brokers) != 1 {
				t.Fatalf("brokers %+v", resp.Brokers)
			}
			b := resp.Brokers[0]
			if b.NodeID != e.NodeID || b.Host != "127.0.0.1" || b.Port != 9092 {
				t.Errorf("broker %+v", b)
			}
			if resp.ClusterAuthorizedOperations != -2147483648 {
				t.Errorf("authorized operations %d, want the not-requested value", resp.ClusterAuthorizedOperations)
			}
		})
	}
}
