package fakediscord

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// maxBody is Discord's upload limit plus room for the JSON part.
const maxBody = 26 << 20

// Discord JSON error codes the fake answers with.
const (
	codeUnknownChannel     = 10003
	codeUnknownGuild       = 10004
	codeUnknownMessage     = 10008
	codeUnknownWebhook     = 10015
	codeUnknownInteraction = 10062
	codeUnknownCommand     = 10063
	codeAlreadyAcked       = 40060
	codeMissingAccess      = 50001
	codeEmptyMessage       = 50006
	codeMissingPermissions = 50013
	codeInvalidFormBody    = 50035
)

// bufWriter holds a response until the handler is done (handlers answer
// while holding the server's lock), so the request is recorded before the
// client can see its answer.
type bufWriter struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (w *bufWriter) Header() http.Header { return w.header }

func (w *bufWriter) WriteHeader(status int) {
	if w.status == 0 {
		w.status = status
	}
}

func (w *bufWriter) Write(b []byte) (int, error) {
	w.WriteHeader(http.StatusOK)
	return w.body.Write(b)
}

func (f *Server) record(rec *Request, status int, start time.Time) {
	rec.Status = status
	rec.Duration = time.Since(start)
	f.mu.Lock()
	f.requests = append(f.requests, *rec)
	f.notifyLocked()
	f.mu.Unlock()
}

func (f *Server) serveHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == "/ws" || strings.HasPrefix(r.URL.Path, "/ws/") || r.URL.Path == resumePath {
		f.serveGateway(w, r)
		return
	}
	start := time.Now()
	body, readErr := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
	rec := &Request{Time: f.now(), Method: r.Method, Path: r.URL.Path, RawQuery: r.URL.RawQuery,
		Header: r.Header.Clone(), Body: body}
	rw := &bufWriter{header: w.Header()}
	defer func() {
		if rw.status == 0 && rec.Fault == "drop" {
			return
		}
		if rw.status == 0 {
			rw.status = http.StatusOK
		}
		f.countInvalid(rw.status, rw.header)
		f.record(rec, rw.status, start)
		w.WriteHeader(rw.status)
		w.Write(rw.body.Bytes())
	}()
	var tooLarge *http.MaxBytesError
	switch {
	case errors.As(readErr, &tooLarge):
		writeError(rw, http.StatusRequestEntityTooLarge, 40005, "Request entity too large")
		return
	case readErr != nil:
		// The client went away mid-body (killed, say): no API call was
		// made. Recorded, but not among RequestsTo.
		rec.Fault, rec.Note = "cut", "body cut short: "+readErr.Error()
		writeError(rw, http.StatusBadRequest, 0, "400: Bad Request")
		return
	}

	f.mu.Lock()
	banned := f.checkLimitsLocked(r.Method, r.URL.Path)
	left := time.Until(f.rl.bannedUntil)
	f.mu.Unlock()
	if banned {
		rec.Fault = "ban"
		writeBanned(rw, left)
		return
	}
	var fault *faultRule
	if f.armed.Load() {
		f.mu.Lock()
		fault = f.takeFaultLocked(r.Method, r.URL.Path)
		f.mu.Unlock()
	}
	if fault != nil {
		rec.Note = "fault #" + strconv.Itoa(fault.id)
		if fault.Delay > 0 {
			rec.Fault = "delay"
			if !f.sleep(r.Context(), fault.Delay) {
				writeError(rw, http.StatusServiceUnavailable, 0, "fake shutting down")
				return
			}
		}
		switch {
		case fault.Drop:
			rec.Fault = "drop"
			f.record(rec, 0, start)
			if hj, ok := w.(http.Hijacker); ok {
				if conn, _, err := hj.Hijack(); err == nil {
					conn.Close()
					return
				}
			}
			panic(http.ErrAbortHandler)
		case fault.Status != 0:
			rec.Fault = strconv.Itoa(fault.Status)
			f.writeFault(rw, fault, f.now())
			return
		}
	}

	if !f.authorized(r) {
		writeError(rw, http.StatusUnauthorized, 0, "401: Unauthorized")
		return
	}

	var retry time.Duration
	var bucket string
	var limited bool
	if f.armed.Load() {
		f.mu.Lock()
		retry, bucket, limited = f.checkLimitLocked(rw.Header(), r.Method, r.URL.Path)
		f.mu.Unlock()
	}
	if limited {
		rec.Fault = "429"
		rec.Note = "route limit"
		writeRateLimited(rw, retry, "user", bucket, f.now())
		return
	}
	f.route(rw, r, rec, body)
}

// authorized checks the bot token when Options.Token is set. Interaction
// callbacks and webhooks authenticate by their token in the path, as on
// Discord; GET /gateway needs no token.
func (f *Server) authorized(r *http.Request) bool {
	if f.opts.Token == "" {
		return true
	}
	seg := splitPath(stripAPI(r.URL.Path))
	if len(seg) > 0 && (seg[0] == "interactions" || seg[0] == "webhooks") {
		return true
	}
	if len(seg) == 1 && seg[0] == "gateway" {
		return true
	}
	return r.Header.Get("Authorization") == "Bot "+f.opts.Token
}

func (f *Server) route(w http.ResponseWriter, r *http.Request, rec *Request, body []byte) {
	seg := splitPath(stripAPI(r.URL.Path))
	n, m := len(seg), r.Method
	is := func(method string, parts ...string) bool {
		if m != method || n != len(parts) {
			return false
		}
		for i, p := range parts {
			if p != "*" && p != seg[i] {
				return false
			}
		}
		return true
	}
	routed := func(name string) { rec.Route = name }
	if !strings.HasPrefix(r.URL.Path, "/api/") {
		seg = nil
		n = 0
	}

	switch {
	case is("GET", "gateway"):
		routed("GET /gateway")
		writeJSON(w, http.StatusOK, map[string]any{"url": f.GatewayURL()})
	case is("GET", "gateway", "bot"):
		routed("GET /gateway/bot")
		writeJSON(w, http.StatusOK, map[string]any{
			"url": f.GatewayURL(), "shards": max(f.opts.Shards, 1),
			"session_start_limit": map[string]any{"total": 1000, "remaining": 999, "reset_after": 86400000, "max_concurrency": max(f.opts.MaxConcurrency, 1)},
		})
	case is("GET", "users", "@me"):
		routed("GET /users/@me")
		writeJSON(w, http.StatusOK, f.botUser())
	case is("GET", "applications", "@me"), is("GET", "oauth2", "applications", "@me"):
		routed("GET /applications/@me")
		writeJSON(w, http.StatusOK, map[string]any{"id": f.opts.ApplicationID, "name": f.opts.BotUsername,
			"description": "", "bot_public": true, "bot_require_code_grant": false, "flags": 0, "bot": f.botUser()})

	case n >= 3 && seg[0] == "applications" && seg[2] == "commands",
		n >= 5 && seg[0] == "applications" && seg[2] == "guilds" && seg[4] == "commands":
		f.routeCommands(w, r, rec, seg, body)

	case is("POST", "interactions", "*", "*", "callback"):
		routed("POST /interactions/{id}/{token}/callback")
		f.handleCallback(w, r, rec, seg[1], seg[2], body)
	case is("POST", "webhooks", "*", "*"):
		routed("POST /webhooks/{app}/{token}")
		f.handleFollowup(w, r, rec, seg[1], seg[2], body)
	case n == 5 && seg[0] == "webhooks" && seg[3] == "messages" && (m == "GET" || m == "PATCH" || m == "DELETE"):
		routed(m + " /webhooks/{app}/{token}/messages/{id}")
		f.handleWebhookMessage(w, r, rec, seg[1], seg[2], seg[4], body)

	case is("GET", "channels", "*"):
		routed("GET /channels/{id}")
		f.handleGetChannel(w, seg[1])
	case is("POST", "channels", "*", "messages"):
		routed("POST /channels/{id}/messages")
		f.handleChannelPost(w, r, rec, seg[1], body)
	case is("GET", "channels", "*", "messages"):
		routed("GET /channels/{id}/messages")
		f.handleChannelList(w, r, seg[1])
	case n == 4 && seg[0] == "channels" && seg[2] == "messages" && (m == "GET" || m == "PATCH" || m == "DELETE"):
		routed(m + " /channels/{id}/messages/{id}")
		f.handleChannelMessage(w, r, rec, seg[1], seg[3], body)

	case is("GET", "guilds", "*"):
		routed("GET /guilds/{id}")
		f.handleGuild(w, seg[1], "")
	case is("GET", "guilds", "*", "roles"), is("GET", "guilds", "*", "channels"):
		routed("GET /guilds/{id}/" + seg[2])
		f.handleGuild(w, seg[1], seg[2])

	default:
		writeError(w, http.StatusNotFound, 0, "404: Not Found")
	}
}

func (f *Server) botUser() map[string]any {
	return map[string]any{"id": f.opts.BotUserID, "username": f.opts.BotUsername, "discriminator": "0",
		"global_name": nil, "avatar": nil, "bot": true, "public_flags": 0, "flags": 0, "verified": true, "mfa_enabled": false}
}

func (f *Server) handleGuild(w http.ResponseWriter, id, sub string) {
	g, ok := f.guild(id)
	if !ok {
		writeError(w, http.StatusNotFound, codeUnknownGuild, "Unknown Guild")
		return
	}
	switch sub {
	case "roles":
		writeJSON(w, http.StatusOK, guildRolesJSON(g))
	case "channels":
		writeJSON(w, http.StatusOK, guildChannelsJSON(g))
	default:
		writeJSON(w, http.StatusOK, map[string]any{"id": g.ID, "name": g.Name, "owner_id": DefaultUserID,
			"roles": guildRolesJSON(g), "emojis": []any{}, "features": []any{}, "preferred_locale": "en-US"})
	}
}

func guildRolesJSON(g Guild) []map[string]any {
	roles := []map[string]any{{"id": g.ID, "name": "@everyone", "permissions": strconv.FormatInt(DefaultPermissions, 10),
		"position": 0, "color": 0, "hoist": false, "managed": false, "mentionable": false}}
	for i, r := range g.Roles {
		roles = append(roles, map[string]any{"id": r.ID, "name": r.Name, "permissions": strconv.FormatInt(r.Permissions, 10),
			"position": i + 1, "color": 0, "hoist": false, "managed": false, "mentionable": false})
	}
	return roles
}

func guildChannelsJSON(g Guild) []map[string]any {
	out := []map[string]any{}
	for i, c := range g.Channels {
		out = append(out, channelJSON(c.ID, c.Name, g.ID, i))
	}
	return out
}

func channelJSON(id, name, guildID string, pos int) map[string]any {
	return map[string]any{"id": id, "type": 0, "guild_id": guildID, "name": name, "position": pos,
		"permission_overwrites": []any{}, "nsfw": false, "parent_id": nil, "topic": nil,
		"last_message_id": nil, "rate_limit_per_user": 0, "flags": 0}
}

// parsedBody is a request body: the JSON document (or the payload_json part
// of a multipart body) and any uploaded files.
type parsedBody struct {
	JSON  []byte
	Files []File
}

func parseBody(r *http.Request, body []byte) (parsedBody, error) {
	mt, params, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "multipart/form-data" {
		return parsedBody{JSON: body}, nil
	}
	var pb parsedBody
	mr := multipart.NewReader(bytes.NewReader(body), params["boundary"])
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return pb, fmt.Errorf("reading multipart body: %w", err)
		}
		data, err := io.ReadAll(part)
		if err != nil {
			return pb, fmt.Errorf("reading multipart part %q: %w", part.FormName(), err)
		}
		switch {
		case part.FormName() == "payload_json":
			pb.JSON = data
		case part.FileName() != "":
			pb.Files = append(pb.Files, File{Name: part.FileName(), ContentType: part.Header.Get("Content-Type"), Data: data})
		}
	}
	return pb, nil
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status, b = http.StatusInternalServerError, []byte(`{"message":"fakediscord: encoding response failed","code":0}`)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	w.Write(b)
}

func writeError(w http.ResponseWriter, status, code int, msg string) {
	writeJSON(w, status, map[string]any{"message": msg, "code": code})
}

// fieldError is one problem in a request body, at a dotted path such as
// "embeds.0.title".
type fieldError struct {
	Path, Code, Message string
}

func (e fieldError) String() string { return e.Path + ": " + e.Message }

func joinFieldErrors(errs []fieldError) string {
	s := make([]string, len(errs))
	for i, e := range errs {
		s[i] = e.String()
	}
	return strings.Join(s, "; ")
}

// writeFormError answers 400 Invalid Form Body with Discord's nested
// errors object.
func writeFormError(w http.ResponseWriter, errs []fieldError) {
	if len(errs) == 1 && errs[0].Code == "EMPTY_MESSAGE" {
		writeError(w, http.StatusBadRequest, codeEmptyMessage, "Cannot send an empty message")
		return
	}
	root := map[string]any{}
	for _, e := range errs {
		node := root
		for _, p := range strings.Split(e.Path, ".") {
			if p == "" {
				continue
			}
			next, ok := node[p].(map[string]any)
			if !ok {
				next = map[string]any{}
				node[p] = next
			}
			node = next
		}
		list, _ := node["_errors"].([]any)
		node["_errors"] = append(list, map[string]any{"code": e.Code, "message": e.Message})
	}
	writeJSON(w, http.StatusBadRequest, map[string]any{"code": codeInvalidFormBody, "message": "Invalid Form Body", "errors": root})
}

func badJSON(w http.ResponseWriter, err error) {
	writeError(w, http.StatusBadRequest, codeInvalidFormBody, "Invalid Form Body: "+err.Error())
}
