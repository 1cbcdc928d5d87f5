package api

// FindCoordinator: v0-4
//
// Behavior:
// * Group keys (type 0) are always coordinated by this node: the answer
//   waits (off the read path) until __consumer_offsets exists and is
//   loaded, creating it on first use as Kafka does, so clients do not
//   spin on COORDINATOR_NOT_AVAILABLE; after 10 s it is
//   COORDINATOR_NOT_AVAILABLE, which clients retry.
// * Transaction keys (type 1) are coordinated by this node too, waiting
//   the same way for __transaction_state (created on first use); any
//   other type is INVALID_REQUEST.
// * Min version 0 is advertised because librdkafka 2.0.2 enables its
//   group coordinator lookups (and LZ4) only if FindCoordinator v0 is in
//   range.
//
// Version notes:
// * v1: key type, error message, throttle
// * v3: flexible versions
// * v4: batched keys (KIP-699), answered per key
// * v5-6 (transaction-version and share-group keys) are not offered.

import (
	"context"
	"errors"
	"net"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"strom/internal/coordinator/group"
	"strom/internal/coordinator/txn"
)

func init() { register(10, 0, 4, handleFindCoordinator) }

// coordinatorWait bounds how long a request waits for __consumer_offsets
// to be created and loaded before answering a retriable error.
const coordinatorWait = 10 * time.Second

func handleFindCoordinator(env *Env, cc *ConnInfo, kreq kmsg.Request) Result {
	req := kreq.(*kmsg.FindCoordinatorRequest)
	keys := req.CoordinatorKeys
	if req.Version < 4 {
		keys = []string{req.CoordinatorKey}
	}
	return Result{Later: func() kmsg.Response {
		resp := req.ResponseKind().(*kmsg.FindCoordinatorResponse)
		code, msg := int16(0), ""
		switch req.CoordinatorType {
		case 0:
			if env.Groups == nil {
				code = kerr.CoordinatorNotAvailable.Code
				break
			}
			ctx, cancel := context.WithTimeout(cc.Ctx, coordinatorWait)
			err := env.Groups.Ready(ctx, true)
			cancel()
			if err != nil {
				code, msg = kerr.CoordinatorNotAvailable.Code, "group coordinator not ready: "+err.Error()
			}
		case 1:
			if env.Txns == nil {
				code = kerr.CoordinatorNotAvailable.Code
				break
			}
			ctx, cancel := context.WithTimeout(cc.Ctx, coordinatorWait)
			err := env.Txns.Ready(ctx, true)
			cancel()
			if err != nil {
				code, msg = kerr.CoordinatorNotAvailable.Code, "transaction coordinator not ready: "+err.Error()
			}
		default:
			code, msg = kerr.InvalidRequest.Code, "unknown coordinator type"
		}
		nodeID, host, port := int32(-1), "", int32(-1)
		if code == 0 {
			if b, ok := env.Controller.Image().Brokers[env.NodeID]; ok {
				nodeID, host, port = b.ID, b.Host, b.Port
			} else {
				code = kerr.CoordinatorNotAvailable.Code
			}
		}
		var msgp *string
		if msg != "" {
			msgp = &msg
		}
		if req.Version < 4 {
			resp.ErrorCode, resp.ErrorMessage = code, msgp
			resp.NodeID, resp.Host, resp.Port = nodeID, host, port
			return resp
		}
		for _, k := range keys {
			rc := kmsg.NewFindCoordinatorResponseCoordinator()
			rc.Key, rc.ErrorCode, rc.ErrorMessage = k, code, msgp
			rc.NodeID, rc.Host, rc.Port = nodeID, host, port
			resp.Coordinators = append(resp.Coordinators, rc)
		}
		return resp
	}}
}

// groupCall hands a group request to the coordinator. It is submitted on
// the read path, so requests of one connection take effect in the order
// sent; the answer is awaited in the deferred part, so a JoinGroup
// parked for a rebalance does not stop the connection being read.
// absent, if set, answers when __consumer_offsets does not exist (and so
// no group does) without creating it.
func groupCall(env *Env, cc *ConnInfo, req kmsg.Request, absent func() kmsg.Response) Result {
	g := env.Groups
	if g == nil {
		return Reply(group.ErrorResponse(req, kerr.CoordinatorNotAvailable.Code))
	}
	client := group.Client{ID: cc.ClientID, Host: clientHost(cc.RemoteAddr)}
	if g.IsReady() {
		ch := g.Do(client, req)
		return Result{Later: func() kmsg.Response { return awaitGroup(cc, ch, req) }}
	}
	return Result{Later: func() kmsg.Response {
		ctx, cancel := context.WithTimeout(cc.Ctx, coordinatorWait)
		err := g.Ready(ctx, absent == nil)
		cancel()
		switch {
		case errors.Is(err, group.ErrNoOffsetsTopic) && absent != nil:
			return absent()
		case err != nil:
			return group.ErrorResponse(req, kerr.CoordinatorLoadInProgress.Code)
		}
		return awaitGroup(cc, g.Do(client, req), req)
	}}
}

func awaitGroup(cc *ConnInfo, ch <-chan kmsg.Response, req kmsg.Request) kmsg.Response {
	select {
	case r := <-ch:
		return r
	case <-cc.Ctx.Done():
		// Nobody will read it; the connection is going away.
		return group.ErrorResponse(req, kerr.CoordinatorNotAvailable.Code)
	}
}

// clientHost is how Kafka shows a member's host: "/" and the address.
func clientHost(remote string) string {
	if h, _, err := net.SplitHostPort(remote); err == nil {
		return "/" + h
	}
	return "/" + remote
}

// txnCall hands a transaction request to the transaction coordinator,
// like groupCall: submitted on the read path (so one connection's
// requests take effect in order), awaited in the deferred part. create
// says whether a missing __transaction_state is created (InitProducerId)
// or answered with absent (describe and list, which have nothing to say).
func txnCall(env *Env, cc *ConnInfo, req kmsg.Request, absent func() kmsg.Response) Result {
	t := env.Txns
	if t == nil {
		return Reply(txn.ErrorResponse(req, kerr.CoordinatorNotAvailable.Code))
	}
	await := func(ch <-chan kmsg.Response) kmsg.Response {
		select {
		case r := <-ch:
			return r
		case <-cc.Ctx.Done():
			return txn.ErrorResponse(req, kerr.CoordinatorNotAvailable.Code)
		}
	}
	if t.IsReady() {
		ch := t.Do(req)
		return Result{Later: func() kmsg.Response { return await(ch) }}
	}
	return Result{Later: func() kmsg.Response {
		ctx, cancel := context.WithTimeout(cc.Ctx, coordinatorWait)
		err := t.Ready(ctx, absent == nil)
		cancel()
		switch {
		case errors.Is(err, txn.ErrNoStateTopic) && absent != nil:
			return absent()
		case err != nil:
			return txn.ErrorResponse(req, kerr.CoordinatorLoadInProgress.Code)
		}
		return await(t.Do(req))
	}}
}
