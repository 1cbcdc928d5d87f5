package api

// DescribeProducers: v0
//
// Behavior:
// * For each partition this broker leads: the producers its log tracks
//   (id, epoch, last sequence, last timestamp) and, for a producer with an
//   open transaction, the offset it started at (what holds the last
//   stable offset back). Coordinator epoch is always -1: a single node
//   has one coordinator.
// * Partitions not hosted here get UNKNOWN_TOPIC_OR_PARTITION.

import "github.com/twmb/franz-go/pkg/kmsg"

func init() { register(61, 0, 0, handleDescribeProducers) }

func handleDescribeProducers(env *Env, cc *ConnInfo, kreq kmsg.Request) Result {
	req := kreq.(*kmsg.DescribeProducersRequest)
	resp := req.ResponseKind().(*kmsg.DescribeProducersResponse)
	for _, rt := range req.Topics {
		st := kmsg.NewDescribeProducersResponseTopic()
		st.Topic = rt.Topic
		for _, p := range rt.Partitions {
			sp := kmsg.NewDescribeProducersResponseTopicPartition()
			sp.Partition = p
			part, err := env.Replicas.Partition(rt.Topic, p)
			if err != nil {
				sp.ErrorCode, sp.ErrorMessage = errCode(err), errMessage(err)
				st.Partitions = append(st.Partitions, sp)
				continue
			}
			for _, ps := range part.Producers() {
				ap := kmsg.NewDescribeProducersResponseTopicPartitionActiveProducer()
				ap.ProducerID, ap.ProducerEpoch = ps.ProducerID, int32(ps.Epoch)
				ap.LastSequence, ap.LastTimestamp = ps.LastSequence, ps.LastTimestamp
				ap.CoordinatorEpoch, ap.CurrentTxnStartOffset = -1, ps.TxnStart
				sp.ActiveProducers = append(sp.ActiveProducers, ap)
			}
			st.Partitions = append(st.Partitions, sp)
		}
		resp.Topics = append(resp.Topics, st)
	}
	return Reply(resp)
}
