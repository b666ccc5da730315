package server

import (
	"net/http/httptest"
	"strings"
	"testing"
)

// TestMessagesComplete checks that every label the page uses has English
// and Thai text, with the same format verbs, so that neither language shows
// a key or a broken sentence.
func TestMessagesComplete(t *testing.T) {
	t.Parallel()
	m := pageMessages()
	for _, pair := range [][2]Lang{{English, Thai}, {Thai, English}} {
		for k, v := range m[pair[0]] {
			other, ok := m[pair[1]][k]
			if !ok {
				t.Errorf("%q has %s text %q but no %s", k, pair[0], v, pair[1])
				continue
			}
			for _, verb := range []string{"%d", "%s", "%q"} {
				if strings.Count(v, verb) != strings.Count(other, verb) {
					t.Errorf("%q: %s %q and %s %q differ in %s", k, pair[0], v, pair[1], other, verb)
				}
			}
		}
	}
}

// TestPickLang checks the choice of language: ?lang=, then the switch's
// cookie, then Accept-Language, then English.
func TestPickLang(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		query, cookie, accept string
		want                  Lang
	}{
		{"", "", "", English},
		{"", "", "th-TH,th;q=0.9,en;q=0.8", Thai},
		{"", "", "th", Thai},
		{"", "", "fr-FR,fr;q=0.9", English},
		{"", "", "de, th;q=0.5", Thai},
		{"", "en", "th", English},
		{"th", "en", "en", Thai},
		{"xx", "th", "en", Thai},
	} {
		r := httptest.NewRequest("GET", "/?lang="+c.query, nil)
		if c.cookie != "" {
			r.Header.Set("Cookie", langCookie+"="+c.cookie)
		}
		r.Header.Set("Accept-Language", c.accept)
		w := httptest.NewRecorder()
		if got := pickLang(w, r); got != c.want {
			t.Errorf("lang=%q cookie=%q Accept-Language=%q: %s, want %s", c.query, c.cookie, c.accept, got, c.want)
		}
		if set := w.Header().Get("Set-Cookie"); (c.query == "th") != strings.HasPrefix(set, langCookie+"=th") {
			t.Errorf("lang=%q: Set-Cookie %q", c.query, set)
		}
	}
}
