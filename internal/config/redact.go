package config

import (
	"net/url"
	"regexp"
	"strings"

	toml "github.com/pelletier/go-toml/v2"
)

// Redacted renders the effective configuration as TOML for `syncd config`:
// defaults and environment overrides applied, the database password masked,
// and the token replaced by a comment that says where it comes from.
func (c Config) Redacted() string {
	out := c
	out.Database.URL = RedactURL(c.Database.URL)
	b, err := toml.Marshal(out)
	if err != nil {
		// Every field of Config marshals; this is a programming error.
		panic("config: " + err.Error())
	}
	var head strings.Builder
	switch {
	case c.HubSpot.Token != "":
		head.WriteString("# hubspot token: set, from " + c.HubSpot.TokenSource + " (not shown)\n")
	case c.HubSpot.BaseURL != DefaultBaseURL:
		head.WriteString("# hubspot token: not set; requests go to " + c.HubSpot.BaseURL + "\n")
	default:
		head.WriteString("# hubspot token: not set; syncd targets the built-in emulator\n")
	}
	if c.HTTP.Token != "" {
		head.WriteString("# http token: set, from " + c.HTTP.TokenSource + " (not shown)\n")
	}
	return head.String() + string(b)
}

var dsnPassword = regexp.MustCompile(`(?i)(password\s*=\s*)('[^']*'|\S+)`)

// RedactURL masks the password of a PostgreSQL URL or key=value string.
func RedactURL(s string) string {
	if s == "" {
		return s
	}
	if u, err := url.Parse(s); err == nil && u.Scheme != "" {
		q := u.Query()
		if q.Has("password") {
			q.Set("password", "xxxxx")
			u.RawQuery = q.Encode()
		}
		return u.Redacted()
	}
	return dsnPassword.ReplaceAllString(s, "${1}xxxxx")
}
