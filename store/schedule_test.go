package store_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/digestbot/digestbot/store"
)

func TestDigestRuns(t *testing.T) {
	ctx := context.Background()
	db := derivedDB(t)
	now := time.Date(2024, 7, 3, 8, 0, 0, 0, time.UTC)

	if _, ok, err := db.LastRun(ctx, "morning"); ok || err != nil {
		t.Fatalf("fresh database: %v %v", ok, err)
	}
	if seq, ok, err := db.ChannelSeq(ctx, "123"); ok || seq != 0 || err != nil {
		t.Fatalf("fresh channel: %d %v %v", seq, ok, err)
	}
	msgs := []json.RawMessage{json.RawMessage(`{"content":"a"}`), json.RawMessage(`{"content":"b"}`)}
	run := store.DigestRun{Digest: "morning", Slot: "2024-07-03T08:00", Due: now, Channel: "123",
		State: store.RunPending, Seq: 7, Messages: msgs, Updated: now}
	rec, created, err := db.BeginRun(ctx, run)
	if err != nil || !created || rec.State != store.RunPending {
		t.Fatalf("begin: %+v %v %v", rec, created, err)
	}
	// A second begin for the same slot returns the recorded run.
	other := run
	other.Messages = nil
	rec, created, err = db.BeginRun(ctx, other)
	if err != nil || created || len(rec.Messages) != 2 {
		t.Fatalf("second begin: %+v %v %v", rec, created, err)
	}
	if err := db.RecordSent(ctx, "morning", run.Slot, 1, "m2", now); err == nil {
		t.Error("message 2 recorded before message 1")
	}
	for i, id := range []string{"m1", "m1-again"} {
		if err := db.RecordSent(ctx, "morning", run.Slot, 0, id, now); err != nil {
			t.Fatalf("record %d: %v", i, err)
		}
	}
	if err := db.RecordSent(ctx, "morning", run.Slot, 1, "m2", now); err != nil {
		t.Fatal(err)
	}
	got, ok, err := db.Run(ctx, "morning", run.Slot)
	if err != nil || !ok || fmt.Sprint(got.Sent) != "[m1 m2]" {
		t.Fatalf("run: %+v %v", got, err)
	}
	if _, ok, _ := db.ChannelSeq(ctx, "123"); ok {
		t.Fatal("channel moved before the run was done")
	}
	if _, err := db.FinishRun(ctx, "morning", run.Slot, store.RunDone, "", now); err != nil {
		t.Fatal(err)
	}
	if seq, ok, _ := db.ChannelSeq(ctx, "123"); !ok || seq != 7 {
		t.Fatalf("channel seq %d %v, want 7", seq, ok)
	}
	if _, err := db.FinishRun(ctx, "morning", run.Slot, store.RunDone, "", now); !errors.Is(err, store.ErrRunState) {
		t.Errorf("finishing twice: %v", err)
	}
	if err := db.RecordSent(ctx, "morning", run.Slot, 2, "m3", now); !errors.Is(err, store.ErrRunState) {
		t.Errorf("recording on a done run: %v", err)
	}
	if _, err := db.FinishRun(ctx, "evening", run.Slot, store.RunDone, "", now); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("finishing an unknown run: %v", err)
	}

	// A done run with a lower Seq never moves the channel back; one
	// recorded done at once (empty digest) moves it forward.
	for i, seq := range []uint64{3, 9} {
		r := store.DigestRun{Digest: "evening", Slot: fmt.Sprintf("2024-07-0%dT20:00", 3+i), Channel: "123", State: store.RunDone, Seq: seq}
		if _, _, err := db.BeginRun(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	if seq, _, _ := db.ChannelSeq(ctx, "123"); seq != 9 {
		t.Errorf("channel seq %d, want 9", seq)
	}

	// LastRun is the latest slot of that digest only, across other digests' keys.
	for _, slot := range []string{"2024-07-01T08:00", "2024-07-10T08:00", "2024-07-05T08:00"} {
		if _, _, err := db.BeginRun(ctx, store.DigestRun{Digest: "morning", Slot: slot, State: store.RunSkipped}); err != nil {
			t.Fatal(err)
		}
	}
	if _, _, err := db.BeginRun(ctx, store.DigestRun{Digest: "morning2", Slot: "2030-01-01T00:00", State: store.RunSkipped}); err != nil {
		t.Fatal(err)
	}
	last, ok, err := db.LastRun(ctx, "morning")
	if err != nil || !ok || last.Slot != "2024-07-10T08:00" {
		t.Fatalf("last run: %+v %v", last, err)
	}
	if last, _, _ := db.LastRun(ctx, "morning2"); last.Slot != "2030-01-01T00:00" {
		t.Fatalf("last run of the last digest: %+v", last)
	}
	if err := db.PruneRuns(ctx, "morning", 2); err != nil {
		t.Fatal(err)
	}
	runs, _ := db.Runs(ctx, "morning")
	if len(runs) != 2 || runs[0].Slot != "2024-07-05T08:00" || runs[1].Slot != "2024-07-10T08:00" {
		t.Fatalf("after pruning: %+v", runs)
	}
	if _, _, err := db.BeginRun(ctx, store.DigestRun{Digest: "bad\x00name", Slot: "x"}); err == nil {
		t.Error("NUL in a digest name accepted")
	}
}

func TestSetChannelSeqOnlyMovesForward(t *testing.T) {
	ctx := context.Background()
	db := derivedDB(t)
	for _, c := range []struct{ set, want uint64 }{{5, 5}, {3, 5}, {9, 9}} {
		if err := db.SetChannelSeq(ctx, "c1", c.set); err != nil {
			t.Fatal(err)
		}
		if seq, ok, err := db.ChannelSeq(ctx, "c1"); !ok || seq != c.want || err != nil {
			t.Fatalf("after set %d: %d %v %v, want %d", c.set, seq, ok, err, c.want)
		}
	}
	if _, ok, _ := db.ChannelSeq(ctx, "c2"); ok {
		t.Fatal("another channel has a position")
	}
}
