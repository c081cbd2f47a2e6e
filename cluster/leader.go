package cluster

import (
	"context"
	"errors"
	"time"

	"go.etcd.io/etcd/client/v3/concurrency"
)

// Lead campaigns for leadership and runs fn while this replica leads,
// until ctx ends. fn's context ends when leadership is lost (the lease
// expired: etcd unreachable, or the process paused past it); Lead then
// campaigns again with the next lease. Only one replica's fn runs at a
// time, give or take a replica that has not yet noticed its lease is gone —
// which fencing stops from posting.
func (n *Node) Lead(ctx context.Context, fn func(context.Context) error) error {
	for ctx.Err() == nil {
		sess, changed := n.session()
		if sess == nil {
			select {
			case <-ctx.Done():
			case <-changed:
			}
			continue
		}
		if err := n.leadOnce(ctx, sess, fn); err != nil && ctx.Err() == nil {
			n.log.Warn("leadership ended", "error", err)
			select {
			case <-ctx.Done():
			case <-time.After(time.Second):
			}
		}
	}
	return ctx.Err()
}

// leadOnce campaigns with sess and, once elected, runs fn until sess ends.
func (n *Node) leadOnce(ctx context.Context, sess *concurrency.Session, fn func(context.Context) error) error {
	lctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		select {
		case <-sess.Done():
			cancel()
		case <-lctx.Done():
		}
	}()
	e := concurrency.NewElection(sess, n.key("leader")+"/")
	n.trips.Add(2) // the candidacy and the wait for earlier candidates
	if err := e.Campaign(lctx, n.opts.Name); err != nil {
		if lctx.Err() != nil {
			return nil
		}
		return err
	}
	n.setLeading(true)
	n.log.Info("elected leader: running the digest schedules")
	err := fn(lctx)
	n.setLeading(false)
	if ctx.Err() != nil || errors.Is(err, context.Canceled) {
		err = nil
	}
	select {
	case <-sess.Done():
		n.log.Warn("lost leadership with the lease")
	default:
		// Still holding the lease (fn returned, or we are stopping):
		// hand over at once instead of when the lease expires.
		rctx, rcancel := context.WithTimeout(context.Background(), 2*time.Second)
		n.trips.Add(1)
		_ = e.Resign(rctx)
		rcancel()
	}
	return err
}

func (n *Node) setLeading(v bool) {
	n.mu.Lock()
	n.leading = v
	n.mu.Unlock()
}
