package corpus

import (
	"net/url"
	"strings"
)

// maxURLBytes bounds a stored source URL; longer ones are not kept.
const maxURLBytes = 2048

// trackingParams are query parameters that say how a reader arrived, not
// which page they read. utm_* and a few prefixes are matched in
// isTrackingParam.
var trackingParams = map[string]bool{
	"fbclid": true, "gclid": true, "gclsrc": true, "dclid": true, "msclkid": true, "yclid": true,
	"twclid": true, "ttclid": true, "igshid": true, "mc_cid": true, "mc_eid": true, "mkt_tok": true,
	"_ga": true, "_gl": true, "_hsenc": true, "_hsmi": true, "hsctatracking": true, "oly_anon_id": true,
	"oly_enc_id": true, "vero_id": true, "vero_conv": true, "wickedid": true, "ocid": true,
	"cmpid": true, "smid": true, "smtyp": true, "sr_share": true, "ref_src": true, "ref_url": true,
	"spm": true, "scm": true, "ito": true, "__twitter_impression": true,
	"s_cid": true, "ncid": true, "xtor": true, "at_medium": true, "at_campaign": true,
	"at_custom1": true, "guccounter": true, "guce_referrer": true, "guce_referrer_sig": true,
}

func isTrackingParam(key string) bool {
	k := strings.ToLower(key)
	return strings.HasPrefix(k, "utm_") || strings.HasPrefix(k, "pk_") || strings.HasPrefix(k, "mtm_") ||
		trackingParams[k]
}

// CleanURL returns raw, an absolute http or https address, in the form
// digestbot stores: host in lower case, default port, fragment and tracking
// parameters (utm_*, fbclid, gclid, mc_cid, …) removed, the other
// parameters kept in their order and spelling. It returns "" for anything
// else (relative references, other schemes, over 2 KB).
func CleanURL(raw string) string { return resolveURL(raw, "") }

// resolveURL resolves ref against base (when base is an absolute http(s)
// URL) and cleans the result as CleanURL does.
func resolveURL(ref, base string) string {
	ref = strings.TrimSpace(ref)
	if ref == "" || len(ref) > maxURLBytes {
		return ""
	}
	u, err := url.Parse(ref)
	if err != nil {
		return ""
	}
	if !u.IsAbs() && base != "" {
		b, err := url.Parse(strings.TrimSpace(base))
		if err != nil || (b.Scheme != "http" && b.Scheme != "https") || b.Host == "" {
			return ""
		}
		u = b.ResolveReference(u)
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil {
		return ""
	}
	u.Scheme = strings.ToLower(u.Scheme)
	u.Host = strings.ToLower(u.Host)
	if (u.Scheme == "http" && u.Port() == "80") || (u.Scheme == "https" && u.Port() == "443") {
		u.Host = u.Hostname()
	}
	u.Fragment, u.RawFragment = "", ""
	u.RawQuery = dropTracking(u.RawQuery)
	u.ForceQuery = false
	if u.Path == "" {
		u.Path = "/"
	}
	s := u.String()
	if len(s) > maxURLBytes {
		return ""
	}
	return s
}

// dropTracking removes tracking parameters from a raw query, keeping the
// others exactly as written.
func dropTracking(q string) string {
	if q == "" {
		return ""
	}
	var kept []string
	for _, pair := range strings.FieldsFunc(q, func(r rune) bool { return r == '&' || r == ';' }) {
		key, _, _ := strings.Cut(pair, "=")
		if k, err := url.QueryUnescape(key); err == nil {
			key = k
		}
		if !isTrackingParam(key) {
			kept = append(kept, pair)
		}
	}
	return strings.Join(kept, "&")
}
