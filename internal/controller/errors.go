package controller

import "errors"

// Sentinel errors. Every error the controller returns for a request wraps
// one of them (test with errors.Is); its Error() text is the message Kafka
// itself would put in the response's ErrorMessage.
var (
	ErrTopicExists              = errors.New("topic already exists")
	ErrUnknownTopic             = errors.New("unknown topic")
	ErrInvalidTopic             = errors.New("invalid topic")
	ErrInvalidPartitions        = errors.New("invalid partitions")
	ErrInvalidReplicationFactor = errors.New("invalid replication factor")
	ErrInvalidReplicaAssignment = errors.New("invalid replica assignment")
	ErrInvalidConfig            = errors.New("invalid config")
	ErrInvalidRequest           = errors.New("invalid request")
	ErrTopicDeletionDisabled    = errors.New("topic deletion disabled")
	ErrNotController            = errors.New("not controller")
	ErrClusterIDMismatch        = errors.New("cluster id mismatch")
)

// reqError is a request error: Kind is the sentinel, Msg the text sent to
// clients, Cause an optional underlying error (for example a
// config.Error).
type reqError struct {
	Kind  error
	Msg   string
	Cause error
}

func (e *reqError) Error() string { return e.Msg }

func (e *reqError) Unwrap() []error {
	if e.Cause != nil {
		return []error{e.Kind, e.Cause}
	}
	return []error{e.Kind}
}

func reqErr(kind error, msg string) error { return &reqError{Kind: kind, Msg: msg} }
