package fakediscord

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// MessageKind says how a message came to be.
type MessageKind string

// Message kinds.
const (
	KindChannelMessage MessageKind = "channel"  // POST /channels/{id}/messages
	KindResponse       MessageKind = "response" // an interaction callback (type 4 or 5)
	KindFollowup       MessageKind = "followup" // POST /webhooks/{app}/{token}
)

// Message is a message the fake holds, in its current state (after edits).
// Returned values are copies; their slices must not be modified.
type Message struct {
	ID, ChannelID, GuildID string
	Kind                   MessageKind
	InteractionID          string // for responses and follow-ups
	Payload
	Files   []File
	Nonce   string
	Pending bool // a deferred response (callback type 5) not yet edited
	Created time.Time
	Edited  time.Time // zero if never edited
	Edits   int
	Deleted bool

	raw     map[string]json.RawMessage // fields as last sent, echoed back
	msgType int
}

type channelState struct {
	missing  bool
	denySend bool
}

// RemoveChannel makes a channel unknown: every request for it gets 404
// Unknown Channel (10003), as after the channel is deleted.
func (f *Server) RemoveChannel(channelID string) {
	f.setChannel(channelID, channelState{missing: true})
}

// DenyChannel makes posting and editing in a channel fail with 403 Missing
// Permissions (50013), as when the bot lacks Send Messages there.
func (f *Server) DenyChannel(channelID string) {
	f.setChannel(channelID, channelState{denySend: true})
}

// RestoreChannel undoes RemoveChannel and DenyChannel.
func (f *Server) RestoreChannel(channelID string) { f.setChannel(channelID, channelState{}) }

func (f *Server) setChannel(id string, st channelState) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.channels[id] = st
}

// channelLocked resolves a channel: a guild's declared channel, or any other
// snowflake as a text channel of the first guild.
func (f *Server) channelLocked(id string) (name, guildID string, st channelState, ok bool) {
	st = f.channels[id]
	if st.missing {
		return "", "", st, false
	}
	for _, g := range f.opts.Guilds {
		for _, c := range g.Channels {
			if c.ID == id {
				return c.Name, g.ID, st, true
			}
		}
	}
	if _, err := strconv.ParseUint(id, 10, 64); err != nil {
		return "", "", st, false
	}
	return "channel-" + id, f.opts.Guilds[0].ID, st, true
}

// Messages returns the live (not deleted) messages in a channel, oldest
// first: channel posts, interaction responses and follow-ups, ephemeral
// ones included (see Payload.Ephemeral and Message.Kind).
func (f *Server) Messages(channelID string) []Message {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.messagesLocked(channelID)
}

func (f *Server) messagesLocked(channelID string) []Message {
	var out []Message
	for _, m := range f.messages {
		if m.ChannelID == channelID && !m.Deleted {
			out = append(out, m.copy())
		}
	}
	return out
}

// WaitMessages waits until a channel holds at least n live messages.
func (f *Server) WaitMessages(ctx context.Context, channelID string, n int) ([]Message, error) {
	var out []Message
	err := f.wait(ctx, fmt.Sprintf("%d messages in channel %s", n, channelID), func() bool {
		out = f.messagesLocked(channelID)
		return len(out) >= n
	})
	return out, err
}

// MessageByID returns a message (deleted ones too) by ID.
func (f *Server) MessageByID(id string) (Message, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	m, ok := f.messageByID[id]
	if !ok {
		return Message{}, false
	}
	return m.copy(), true
}

func (m *Message) copy() Message {
	c := *m
	c.raw = nil
	return c
}

func (f *Server) newMessageLocked(channelID, guildID string, kind MessageKind, p Payload, fields map[string]json.RawMessage, files []File) *Message {
	m := &Message{ID: f.newIDLocked(), ChannelID: channelID, GuildID: guildID, Kind: kind, Payload: p,
		Created: f.now(), raw: fields}
	for _, fl := range files {
		m.Files = append(m.Files, f.stampFileLocked(fl))
	}
	f.messages = append(f.messages, m)
	f.messageByID[m.ID] = m
	return m
}

func (f *Server) stampFileLocked(fl File) File {
	fl.ID = f.newIDLocked()
	return fl
}

// messageJSON renders a message the way Discord returns it.
func (f *Server) messageJSON(m *Message) map[string]any {
	arr := func(k string) any {
		if v, ok := m.raw[k]; ok && string(v) != "null" {
			return v
		}
		return []any{}
	}
	atts := []map[string]any{}
	for _, fl := range m.Files {
		u := "https://cdn.discordapp.com/attachments/" + m.ChannelID + "/" + fl.ID + "/" + fl.Name
		atts = append(atts, map[string]any{"id": fl.ID, "filename": fl.Name, "size": len(fl.Data),
			"url": u, "proxy_url": strings.Replace(u, "cdn.discordapp.com", "media.discordapp.net", 1),
			"content_type": fl.ContentType})
	}
	out := map[string]any{
		"id": m.ID, "channel_id": m.ChannelID, "type": m.msgType, "content": m.Content, "tts": m.TTS,
		"flags": m.Flags, "timestamp": m.Created.UTC().Format(time.RFC3339Nano), "edited_timestamp": nil,
		"author": f.botUser(), "pinned": false, "mention_everyone": false, "mentions": []any{},
		"mention_roles": []any{}, "attachments": atts, "embeds": arr("embeds"), "components": arr("components"),
	}
	if m.GuildID != "" {
		out["guild_id"] = m.GuildID
	}
	if !m.Edited.IsZero() {
		out["edited_timestamp"] = m.Edited.UTC().Format(time.RFC3339Nano)
	}
	if m.Nonce != "" {
		out["nonce"] = m.Nonce
	}
	if m.Kind != KindChannelMessage {
		out["webhook_id"] = f.opts.ApplicationID
		out["application_id"] = f.opts.ApplicationID
	}
	return out
}

// decodePayload decodes a JSON body into a payload and its raw fields.
func decodePayload(body []byte) (Payload, map[string]json.RawMessage, error) {
	var p Payload
	var fields map[string]json.RawMessage
	if len(body) == 0 {
		return p, map[string]json.RawMessage{}, nil
	}
	if err := json.Unmarshal(body, &fields); err != nil {
		return p, nil, err
	}
	if err := json.Unmarshal(body, &p); err != nil {
		return p, nil, err
	}
	if fields == nil {
		fields = map[string]json.RawMessage{}
	}
	return p, fields, nil
}

// rawString decodes a JSON string or number (Discord's nonce) as text.
func rawString(v json.RawMessage) string {
	s := strings.TrimSpace(string(v))
	if s == "" || s == "null" {
		return ""
	}
	var str string
	if json.Unmarshal(v, &str) == nil {
		return str
	}
	return s
}

func (f *Server) handleChannelPost(w http.ResponseWriter, r *http.Request, rec *Request, channelID string, body []byte) {
	pb, err := parseBody(r, body)
	if err != nil {
		badJSON(w, err)
		return
	}
	p, fields, err := decodePayload(pb.JSON)
	if err != nil {
		badJSON(w, err)
		return
	}
	var enforce bool
	json.Unmarshal(fields["enforce_nonce"], &enforce)
	nonce := rawString(fields["nonce"])

	f.mu.Lock()
	defer f.mu.Unlock()
	_, guildID, st, ok := f.channelLocked(channelID)
	if !ok {
		writeError(w, http.StatusNotFound, codeUnknownChannel, "Unknown Channel")
		return
	}
	if st.denySend {
		writeError(w, http.StatusForbidden, codeMissingPermissions, "Missing Permissions")
		return
	}
	errs := validatePayload(p, len(pb.Files), true)
	if unitLen(nonce) > 25 {
		errs = append(errs, fieldError{Path: "nonce", Code: "BASE_TYPE_MAX_LENGTH", Message: "Must be 25 or fewer in length."})
	}
	key := channelID + "\x00" + nonce
	if enforce && nonce != "" {
		if m := f.nonces[key]; m != nil && !m.Deleted && f.now().Sub(m.Created) <= f.opts.NonceWindow {
			rec.Note = "nonce: returned existing message " + m.ID
			writeJSON(w, http.StatusOK, f.messageJSON(m))
			return
		}
	}
	if len(errs) > 0 {
		writeFormError(w, errs)
		return
	}
	m := f.newMessageLocked(channelID, guildID, KindChannelMessage, p, fields, pb.Files)
	m.Nonce = nonce
	if enforce && nonce != "" {
		f.nonces[key] = m
	}
	if f.opts.OnChannelMessage != nil {
		f.opts.OnChannelMessage(m.copy())
	}
	f.notifyLocked()
	writeJSON(w, http.StatusOK, f.messageJSON(m))
}

func (f *Server) handleGetChannel(w http.ResponseWriter, channelID string) {
	f.mu.Lock()
	name, guildID, _, ok := f.channelLocked(channelID)
	f.mu.Unlock()
	if !ok {
		writeError(w, http.StatusNotFound, codeUnknownChannel, "Unknown Channel")
		return
	}
	writeJSON(w, http.StatusOK, channelJSON(channelID, name, guildID, 0))
}

func (f *Server) handleChannelList(w http.ResponseWriter, r *http.Request, channelID string) {
	limit := 50
	if v, err := strconv.Atoi(r.URL.Query().Get("limit")); err == nil && v >= 1 && v <= 100 {
		limit = v
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, _, _, ok := f.channelLocked(channelID); !ok {
		writeError(w, http.StatusNotFound, codeUnknownChannel, "Unknown Channel")
		return
	}
	out := []map[string]any{}
	for i := len(f.messages) - 1; i >= 0 && len(out) < limit; i-- {
		m := f.messages[i]
		if m.ChannelID == channelID && !m.Deleted && !m.Ephemeral() {
			out = append(out, f.messageJSON(m))
		}
	}
	writeJSON(w, http.StatusOK, out)
}

func (f *Server) handleChannelMessage(w http.ResponseWriter, r *http.Request, rec *Request, channelID, messageID string, body []byte) {
	f.mu.Lock()
	defer f.mu.Unlock()
	_, _, st, ok := f.channelLocked(channelID)
	if !ok {
		writeError(w, http.StatusNotFound, codeUnknownChannel, "Unknown Channel")
		return
	}
	m := f.messageByID[messageID]
	if m == nil || m.Deleted || m.ChannelID != channelID || m.Ephemeral() {
		writeError(w, http.StatusNotFound, codeUnknownMessage, "Unknown Message")
		return
	}
	switch r.Method {
	case "GET":
		writeJSON(w, http.StatusOK, f.messageJSON(m))
	case "DELETE":
		m.Deleted = true
		f.notifyLocked()
		w.WriteHeader(http.StatusNoContent)
	case "PATCH":
		if st.denySend {
			writeError(w, http.StatusForbidden, codeMissingPermissions, "Missing Permissions")
			return
		}
		f.editMessageLocked(w, r, m, body)
	}
}

// editMessageLocked applies a PATCH body to a message and answers with it.
func (f *Server) editMessageLocked(w http.ResponseWriter, r *http.Request, m *Message, body []byte) {
	pb, err := parseBody(r, body)
	if err != nil {
		badJSON(w, err)
		return
	}
	_, patch, err := decodePayload(pb.JSON)
	if err != nil {
		badJSON(w, err)
		return
	}
	if errs := f.applyEditLocked(m, patch, pb.Files); len(errs) > 0 {
		writeFormError(w, errs)
		return
	}
	writeJSON(w, http.StatusOK, f.messageJSON(m))
}
