package app

import (
	"context"
	"log/slog"
	"time"

	"github.com/digestbot/digestbot/bot"
	"github.com/digestbot/digestbot/internal/apperr"
)

// SharedState keeps the bot's button state on this replica and shares it
// with the others (in a cluster, through etcd): it writes through to
// Shared and reads locally first, so a press answered by another replica
// finds the state.
type SharedState struct {
	Local  bot.StateStore
	Shared bot.StateStore
	Log    *slog.Logger
}

// PutValue stores value locally, then shares it; a failure to share is
// logged (the buttons still work when pressed on this replica).
func (st SharedState) PutValue(ctx context.Context, key string, value []byte, now time.Time) error {
	if err := st.Local.PutValue(ctx, key, value, now); err != nil {
		return err
	}
	if err := st.Shared.PutValue(ctx, key, value, now); err != nil {
		st.Log.Warn("button state not shared with the other replicas", "key", key, "error", err)
	}
	return nil
}

// Value reads key locally, else from the shared store.
func (st SharedState) Value(ctx context.Context, key string) ([]byte, time.Time, error) {
	v, at, err := st.Local.Value(ctx, key)
	if apperr.Is(err, apperr.NotFound) {
		return st.Shared.Value(ctx, key)
	}
	return v, at, err
}
