package fakediscord

import (
	"encoding/json"
	"fmt"
	"net/http"
	"time"
)

// tokenLifetime is how long an interaction token accepts follow-ups.
const tokenLifetime = 15 * time.Minute

func (f *Server) handleCallback(w http.ResponseWriter, r *http.Request, rec *Request, id, token string, body []byte) {
	pb, err := parseBody(r, body)
	if err != nil {
		badJSON(w, err)
		return
	}
	var resp struct {
		Type int             `json:"type"`
		Data json.RawMessage `json:"data"`
	}
	if err := json.Unmarshal(pb.JSON, &resp); err != nil {
		badJSON(w, err)
		return
	}
	p, fields, err := decodePayload(resp.Data)
	if err != nil {
		badJSON(w, err)
		return
	}
	if string(resp.Data) == "null" {
		fields = map[string]json.RawMessage{}
	}

	f.mu.Lock()
	defer f.mu.Unlock()
	st := f.interactions[id]
	if st == nil || st.token != token {
		writeError(w, http.StatusNotFound, codeUnknownInteraction, "Unknown interaction")
		return
	}
	cb := Callback{InteractionID: id, Token: token, Type: resp.Type, Data: p, Raw: pb.JSON, Files: pb.Files, Time: f.now()}
	refuse := func(status int, why string) {
		cb.Status, cb.Error = status, why
		st.callbacks = append(st.callbacks, cb)
		f.notifyLocked()
	}
	// interactions/receiving-and-responding#responding-to-an-interaction:
	// "Interaction tokens are valid for 15 minutes, but the initial
	// response must be sent within 3 seconds". Measured in real time: a
	// test moving Options.Clock cannot make a slow bot look quick.
	if late := time.Since(st.dispatched); st.deadline > 0 && late > st.deadline {
		refuse(http.StatusNotFound, fmt.Sprintf("answered %v after dispatch, past the %v deadline", late.Round(time.Millisecond), st.deadline))
		writeError(w, http.StatusNotFound, codeUnknownInteraction, "Unknown interaction")
		return
	}
	if st.acked {
		refuse(http.StatusBadRequest, "interaction has already been acknowledged")
		writeError(w, http.StatusBadRequest, codeAlreadyAcked, "Interaction has already been acknowledged.")
		return
	}
	errs := validateCallback(st.typ, resp.Type, p, len(pb.Files))
	if c, ok := fields["choices"]; resp.Type == CallbackAutocomplete && (!ok || string(c) == "null") {
		// interactions/receiving-and-responding#interaction-response-object-autocomplete:
		// choices is required; no matches is "choices": [].
		errs = append(errs, fieldError{Path: "data.choices", Code: "BASE_TYPE_REQUIRED", Message: "This field is required"})
	}
	var component *Message
	if resp.Type == CallbackUpdateMessage || resp.Type == CallbackDeferredUpdate {
		if component = f.messageByID[st.componentMsg]; component == nil || component.Deleted {
			errs = append(errs, fieldError{Path: "type", Code: "UNKNOWN_MESSAGE", Message: "the component's message no longer exists"})
		}
	}
	if resp.Type == CallbackUpdateMessage && len(errs) == 0 {
		errs = f.applyEditLocked(component, fields, pb.Files)
	}
	if len(errs) > 0 {
		refuse(http.StatusBadRequest, joinFieldErrors(errs))
		writeFormError(w, errs)
		return
	}
	st.acked = true
	switch resp.Type {
	case CallbackMessage:
		m := f.newMessageLocked(st.channelID, st.guildID, KindResponse, p, fields, pb.Files)
		m.InteractionID = id
		if st.typ == TypeCommand {
			m.msgType = 20 // CHAT_INPUT_COMMAND
		}
		st.originalID = m.ID
	case CallbackDeferredMessage:
		m := f.newMessageLocked(st.channelID, st.guildID, KindResponse, Payload{Flags: p.Flags & FlagEphemeral},
			map[string]json.RawMessage{}, nil)
		m.InteractionID = id
		m.Pending = true
		if st.typ == TypeCommand {
			m.msgType = 20
		}
		st.originalID = m.ID
	case CallbackDeferredUpdate, CallbackUpdateMessage:
		st.originalID = component.ID
	}
	cb.Status = http.StatusNoContent
	st.callbacks = append(st.callbacks, cb)
	f.notifyLocked()
	w.WriteHeader(http.StatusNoContent)
}

// validateCallback checks the callback type fits the interaction and its
// data fits Discord's limits.
func validateCallback(it InteractionType, ct int, p Payload, files int) []fieldError {
	bad := func(msg string) []fieldError {
		return []fieldError{{Path: "type", Code: "INTERACTION_RESPONSE_TYPE_INVALID", Message: msg}}
	}
	prefix := func(errs []fieldError) []fieldError {
		for i := range errs {
			errs[i].Path = "data." + errs[i].Path
		}
		return errs
	}
	switch ct {
	case CallbackMessage:
		if it == TypeAutocomplete {
			return bad("autocomplete interactions only take type 8")
		}
		return prefix(validatePayload(p, files, true))
	case CallbackDeferredMessage:
		if it == TypeAutocomplete {
			return bad("autocomplete interactions only take type 8")
		}
		return nil
	case CallbackDeferredUpdate, CallbackUpdateMessage:
		if it != TypeComponent {
			return bad(fmt.Sprintf("type %d is only valid for component interactions", ct))
		}
		return nil
	case CallbackAutocomplete:
		if it != TypeAutocomplete {
			return bad("type 8 is only valid for autocomplete interactions")
		}
		return validateChoices(p.Choices)
	case CallbackModal:
		if it == TypeAutocomplete {
			return bad("autocomplete interactions only take type 8")
		}
		var errs []fieldError
		if p.CustomID == "" || unitLen(p.CustomID) > 100 {
			errs = append(errs, fieldError{Path: "data.custom_id", Code: "BASE_TYPE_BAD_LENGTH", Message: "Must be between 1 and 100 in length."})
		}
		if n := textLen(p.Title); n < 1 || n > 45 {
			errs = append(errs, fieldError{Path: "data.title", Code: "BASE_TYPE_BAD_LENGTH", Message: "Must be between 1 and 45 in length."})
		}
		if len(p.Components) < 1 || len(p.Components) > 5 {
			errs = append(errs, fieldError{Path: "data.components", Code: "BASE_TYPE_BAD_LENGTH", Message: "Must be between 1 and 5 in length."})
		}
		return errs
	default:
		return bad(fmt.Sprintf("type %d is not a valid interaction response type here", ct))
	}
}

// applyEditLocked merges a patch into a message after validating the
// result; it changes nothing when it reports errors.
func (f *Server) applyEditLocked(m *Message, patch map[string]json.RawMessage, newFiles []File) []fieldError {
	merged := map[string]json.RawMessage{}
	for k, v := range m.raw {
		merged[k] = v
	}
	for k, v := range patch {
		if k == "components" && string(v) == "null" {
			// Discord ignores "components": null in edits (discord-api-docs
			// #5860) while "embeds": null clears; [] clears components.
			continue
		}
		merged[k] = v
	}
	mb, _ := json.Marshal(merged)
	var p Payload
	if err := json.Unmarshal(mb, &p); err != nil {
		return []fieldError{{Path: "", Code: "BASE_TYPE_BAD_TYPE", Message: err.Error()}}
	}
	p.Flags = m.Flags&^FlagSuppressEmbeds | p.Flags&FlagSuppressEmbeds // only SUPPRESS_EMBEDS may change
	files := append([]File(nil), m.Files...)
	if keep, ok := patch["attachments"]; ok {
		var ids []struct {
			ID json.RawMessage `json:"id"`
		}
		json.Unmarshal(keep, &ids)
		kept := map[string]bool{}
		for _, a := range ids {
			kept[rawString(a.ID)] = true
		}
		files = nil
		for _, fl := range m.Files {
			if kept[fl.ID] {
				files = append(files, fl)
			}
		}
	}
	for _, fl := range newFiles {
		files = append(files, f.stampFileLocked(fl))
	}
	if errs := validatePayload(p, len(files), true); len(errs) > 0 {
		return errs
	}
	m.Payload, m.raw, m.Files = p, merged, files
	if m.Pending {
		m.Pending = false // the deferred response gets its content
	} else {
		m.Edited = f.now()
		m.Edits++
	}
	f.notifyLocked()
	return nil
}

// tokenLocked finds the interaction behind a webhook token.
func (f *Server) tokenLocked(app, token string) *interactionState {
	st := f.byToken[token]
	if st == nil || app != f.opts.ApplicationID || f.now().Sub(st.created) > tokenLifetime {
		return nil
	}
	return st
}

func (f *Server) handleFollowup(w http.ResponseWriter, r *http.Request, rec *Request, app, token string, body []byte) {
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
	f.mu.Lock()
	defer f.mu.Unlock()
	st := f.tokenLocked(app, token)
	if st == nil || !st.acked {
		writeError(w, http.StatusNotFound, codeUnknownWebhook, "Unknown Webhook")
		return
	}
	if errs := validatePayload(p, len(pb.Files), true); len(errs) > 0 {
		writeFormError(w, errs)
		return
	}
	m := f.newMessageLocked(st.channelID, st.guildID, KindFollowup, p, fields, pb.Files)
	m.InteractionID = st.id
	st.followups = append(st.followups, m.ID)
	f.notifyLocked()
	// Interaction follow-ups always return the message, whatever ?wait says.
	writeJSON(w, http.StatusOK, f.messageJSON(m))
}

func (f *Server) handleWebhookMessage(w http.ResponseWriter, r *http.Request, rec *Request, app, token, messageID string, body []byte) {
	f.mu.Lock()
	defer f.mu.Unlock()
	st := f.tokenLocked(app, token)
	if st == nil {
		writeError(w, http.StatusNotFound, codeUnknownWebhook, "Unknown Webhook")
		return
	}
	var m *Message
	if messageID == "@original" {
		m = f.messageByID[st.originalID]
	} else {
		for _, id := range append([]string{st.originalID}, st.followups...) {
			if id == messageID {
				m = f.messageByID[id]
			}
		}
	}
	if m == nil || m.Deleted {
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
		f.editMessageLocked(w, r, m, body)
	}
}
