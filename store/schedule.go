package store

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"
)

// The digest scheduler's state (buckets created on first write, so no
// schema change; a read finds an absent bucket empty):
//
//	digest_runs      digest name + 0x00 + slot → DigestRun (JSON)
//	digest_channels  channel → change-log sequence its latest digest covered (uint64 BE)
//
// A run is recorded before anything is posted (intent) and updated after
// each message, so a restart resumes it instead of posting it again.
var (
	bucketDigestRuns     = []byte("digest_runs")
	bucketDigestChannels = []byte("digest_channels")
)

// RunState is where a scheduled digest run stands.
type RunState string

// The states of a run.
const (
	RunPending RunState = "pending" // intent recorded; not every message sent yet
	RunDone    RunState = "done"    // every message sent, or nothing to send
	RunSkipped RunState = "skipped" // missed while down and not caught up, or the schedule was first seen
	RunFailed  RunState = "failed"  // could not be delivered
)

// DigestRun is one scheduled run of a configured digest.
type DigestRun struct {
	// Digest is the configured digest's name; Slot the wall-clock time it
	// was scheduled for in its time zone ("2006-01-02T15:04"), which keys
	// the run: one run per slot, even when a daylight-saving change shows
	// that wall-clock time twice.
	Digest string `json:"digest"`
	Slot   string `json:"slot"`
	// Due is the instant the slot fell on.
	Due     time.Time `json:"due"`
	Channel string    `json:"channel"`
	State   RunState  `json:"state"`
	// Seq is the change-log sequence number the digest covered; when the
	// run is done it becomes the channel's position for "new" digests.
	Seq uint64 `json:"seq"`
	// Covered lists the articles a "new" digest covered when that is kept
	// outside this store (a cluster: see digest.Coverage); nil otherwise.
	Covered []string `json:"covered,omitempty"`
	// Messages are the payloads to send (JSON), fixed when the intent is
	// recorded; Sent holds the IDs of those sent so far, in order.
	Messages []json.RawMessage `json:"messages,omitempty"`
	Sent     []string          `json:"sent,omitempty"`
	Note     string            `json:"note,omitempty"`
	Updated  time.Time         `json:"updated"`
}

// ErrRunState: a run is not in a state that allows the change.
var ErrRunState = errors.New("digest run is not pending")

func runKey(digest, slot string) []byte {
	return []byte(digest + "\x00" + slot)
}

func validRunKey(digest, slot string) error {
	if digest == "" || slot == "" || strings.ContainsRune(digest, 0) || strings.ContainsRune(slot, 0) {
		return fmt.Errorf("digest run %q/%q: empty name or slot, or a NUL byte in one", digest, slot)
	}
	return nil
}

// BeginRun records run unless one is already recorded for its digest and
// slot, and returns the recorded run with created saying which. Record
// the intent (RunPending, with Messages) before posting anything; a run
// recorded as RunDone at once (nothing to post) also moves its channel's
// position.
func (db *DB) BeginRun(ctx context.Context, run DigestRun) (recorded DigestRun, created bool, err error) {
	if err := validRunKey(run.Digest, run.Slot); err != nil {
		return DigestRun{}, false, err
	}
	err = db.update(ctx, func(tx *bolt.Tx) error {
		b, err := tx.CreateBucketIfNotExists(bucketDigestRuns)
		if err != nil {
			return err
		}
		k := runKey(run.Digest, run.Slot)
		if v := b.Get(k); v != nil {
			return json.Unmarshal(v, &recorded)
		}
		created, recorded = true, run
		return putRun(tx, b, run)
	})
	if err != nil {
		return DigestRun{}, false, fmt.Errorf("record digest run %s at %s: %w", run.Digest, run.Slot, err)
	}
	return recorded, created, nil
}

// RecordSent records the ID of message index of a pending run, sent at
// now. Recording the same index again keeps the first ID.
func (db *DB) RecordSent(ctx context.Context, digest, slot string, index int, messageID string, now time.Time) error {
	err := db.changeRun(ctx, digest, slot, func(r *DigestRun) error {
		switch {
		case r.State != RunPending:
			return ErrRunState
		case index < len(r.Sent):
			return nil
		case index != len(r.Sent) || index >= len(r.Messages):
			return fmt.Errorf("message %d of %d recorded out of order (%d recorded)", index+1, len(r.Messages), len(r.Sent))
		}
		r.Sent = append(r.Sent, messageID)
		r.Updated = now
		return nil
	})
	if err != nil {
		return fmt.Errorf("record message %d of digest %s at %s: %w", index+1, digest, slot, err)
	}
	return nil
}

// FinishRun sets the final state of a pending run. Done moves the
// channel's position to the run's Seq (never backwards).
func (db *DB) FinishRun(ctx context.Context, digest, slot string, state RunState, note string, now time.Time) (DigestRun, error) {
	var out DigestRun
	err := db.changeRun(ctx, digest, slot, func(r *DigestRun) error {
		if r.State != RunPending {
			return ErrRunState
		}
		r.State, r.Updated = state, now
		if note != "" {
			r.Note = note
		}
		out = *r
		return nil
	})
	if err != nil {
		return DigestRun{}, fmt.Errorf("finish digest run %s at %s: %w", digest, slot, err)
	}
	return out, nil
}

// changeRun applies fn to a stored run and stores it again.
func (db *DB) changeRun(ctx context.Context, digest, slot string, fn func(*DigestRun) error) error {
	return db.update(ctx, func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketDigestRuns)
		var v []byte
		if b != nil {
			v = b.Get(runKey(digest, slot))
		}
		if v == nil {
			return ErrNotFound
		}
		var r DigestRun
		if err := json.Unmarshal(v, &r); err != nil {
			return fmt.Errorf("%w: %v", errCorrupt, err)
		}
		if err := fn(&r); err != nil {
			return err
		}
		return putRun(tx, b, r)
	})
}

func putRun(tx *bolt.Tx, b *bolt.Bucket, r DigestRun) error {
	v, err := json.Marshal(r)
	if err != nil {
		return err
	}
	if err := b.Put(runKey(r.Digest, r.Slot), v); err != nil {
		return err
	}
	if r.State != RunDone || r.Channel == "" {
		return nil
	}
	ch, err := tx.CreateBucketIfNotExists(bucketDigestChannels)
	if err != nil {
		return err
	}
	if old := ch.Get([]byte(r.Channel)); len(old) == 8 && binary.BigEndian.Uint64(old) >= r.Seq {
		return nil
	}
	return ch.Put([]byte(r.Channel), u64(r.Seq))
}

// Run returns the run of digest at slot, if recorded.
func (db *DB) Run(ctx context.Context, digest, slot string) (DigestRun, bool, error) {
	var r DigestRun
	found := false
	err := db.view(ctx, func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketDigestRuns)
		if b == nil {
			return nil
		}
		v := b.Get(runKey(digest, slot))
		if v == nil {
			return nil
		}
		found = true
		return json.Unmarshal(v, &r)
	})
	if err != nil {
		return DigestRun{}, false, fmt.Errorf("read digest run %s at %s: %w", digest, slot, err)
	}
	return r, found, nil
}

// Runs returns the recorded runs of digest, oldest slot first.
func (db *DB) Runs(ctx context.Context, digest string) ([]DigestRun, error) {
	var out []DigestRun
	err := db.view(ctx, func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketDigestRuns)
		if b == nil {
			return nil
		}
		prefix := []byte(digest + "\x00")
		c := b.Cursor()
		for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
			var r DigestRun
			if err := json.Unmarshal(v, &r); err != nil {
				return fmt.Errorf("run %q: %w: %v", k, errCorrupt, err)
			}
			out = append(out, r)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list runs of digest %s: %w", digest, err)
	}
	return out, nil
}

// LastRun returns the run of digest with the latest slot, if any.
func (db *DB) LastRun(ctx context.Context, digest string) (DigestRun, bool, error) {
	var r DigestRun
	found := false
	err := db.view(ctx, func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketDigestRuns)
		if b == nil {
			return nil
		}
		// The last key with the prefix is just before the first key after it.
		prefix := []byte(digest + "\x00")
		c := b.Cursor()
		k, v := c.Seek([]byte(digest + "\x01"))
		if k == nil {
			k, v = c.Last()
		} else {
			k, v = c.Prev()
		}
		if k == nil || !bytes.HasPrefix(k, prefix) {
			return nil
		}
		found = true
		return json.Unmarshal(v, &r)
	})
	if err != nil {
		return DigestRun{}, false, fmt.Errorf("read last run of digest %s: %w", digest, err)
	}
	return r, found, nil
}

// PruneRuns deletes all but the keep most recent runs of digest, never a
// pending one.
func (db *DB) PruneRuns(ctx context.Context, digest string, keep int) error {
	runs, err := db.Runs(ctx, digest)
	if err != nil || len(runs) <= keep {
		return err
	}
	return db.update(ctx, func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketDigestRuns)
		for _, r := range runs[:len(runs)-keep] {
			if r.State == RunPending {
				continue
			}
			if err := b.Delete(runKey(r.Digest, r.Slot)); err != nil {
				return err
			}
		}
		return nil
	})
}

// ChannelSeq returns the change-log sequence number the latest digest
// posted to channel covered, and false when none was posted.
func (db *DB) ChannelSeq(ctx context.Context, channel string) (uint64, bool, error) {
	var seq uint64
	found := false
	err := db.view(ctx, func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketDigestChannels)
		if b == nil {
			return nil
		}
		if v := b.Get([]byte(channel)); len(v) == 8 {
			seq, found = binary.BigEndian.Uint64(v), true
		}
		return nil
	})
	if err != nil {
		return 0, false, fmt.Errorf("read digest position of channel %s: %w", channel, err)
	}
	return seq, found, nil
}

// SetChannelSeq moves channel's position for "new" digests forward to seq
// (never backwards): a replica of a cluster records there how far its own
// change log is known to be covered by digests posted to the channel.
func (db *DB) SetChannelSeq(ctx context.Context, channel string, seq uint64) error {
	err := db.update(ctx, func(tx *bolt.Tx) error {
		ch, err := tx.CreateBucketIfNotExists(bucketDigestChannels)
		if err != nil {
			return err
		}
		if old := ch.Get([]byte(channel)); len(old) == 8 && binary.BigEndian.Uint64(old) >= seq {
			return nil
		}
		return ch.Put([]byte(channel), u64(seq))
	})
	if err != nil {
		return fmt.Errorf("record digest position of channel %s: %w", channel, err)
	}
	return nil
}
