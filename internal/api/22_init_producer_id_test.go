package api

import (
	"testing"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

func TestInitProducerID(t *testing.T) {
	e := newTestEnv(t, nil)
	seen := map[int64]bool{}
	for _, tc := range []struct {
		name    string
		version int16
		txnID   *string
		pid     int64
		epoch   int16
		wantErr int16
	}{
		{name: "idempotent v0", version: 0, pid: -1, epoch: -1},
		{name: "idempotent v4", version: 4, pid: -1, epoch: -1},
		{name: "existing producer gets a fresh id (v3+)", version: 3, pid: 0, epoch: 0},
		{name: "empty transactional id", version: 2, txnID: kmsg.StringPtr(""), pid: -1, epoch: -1, wantErr: kerr.InvalidRequest.Code},
		{name: "transactional without a coordinator", version: 4, txnID: kmsg.StringPtr("tx"), pid: -1, epoch: -1, wantErr: kerr.CoordinatorNotAvailable.Code},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req := kmsg.NewPtrInitProducerIDRequest()
			req.TransactionalID = tc.txnID
			req.TransactionTimeoutMillis = 60000
			req.ProducerID, req.ProducerEpoch = tc.pid, tc.epoch
			resp := e.do(t, req, tc.version).(*kmsg.InitProducerIDResponse)
			if resp.ErrorCode != tc.wantErr {
				t.Fatalf("got %v, want %v", kerr.ErrorForCode(resp.ErrorCode), kerr.ErrorForCode(tc.wantErr))
			}
			if tc.wantErr != 0 {
				if resp.ProducerID != -1 {
					t.Fatalf("error response carries producer id %d", resp.ProducerID)
				}
				return
			}
			if resp.ProducerID < 0 || resp.ProducerEpoch != 0 {
				t.Fatalf("got id %d epoch %d", resp.ProducerID, resp.ProducerEpoch)
			}
			if seen[resp.ProducerID] {
				t.Fatalf("producer id %d handed out twice", resp.ProducerID)
			}
			seen[resp.ProducerID] = true
		})
	}
}
