package emulator

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// tierLimits are a tier's burst (per rolling 10 s, per app) and daily (per
// account) allowances for privately distributed apps.
type tierLimits struct {
	burst int
	daily int64
}

// tiers follows HubSpot's usage guidelines. limit_pack is Professional
// with one API Limit Increase pack: 250 per 10 s and 1,000,000 more a day.
var tiers = map[string]tierLimits{
	"free":         {100, 250_000},
	"starter":      {100, 250_000},
	"professional": {190, 625_000},
	"enterprise":   {190, 1_000_000},
	"limit_pack":   {250, 1_625_000},
}

// limitsOf returns a tier's limits; an unknown tier has professional's.
func limitsOf(tier string) tierLimits {
	if lim, ok := tiers[tier]; ok {
		return lim
	}
	return tiers["professional"]
}

// firstAppID is the app ID of the first token seen, as 429 group names show it.
const firstAppID = 1000001

const (
	burstWindow     = 10 * time.Second
	searchWindow    = time.Second
	searchPerSecond = 5
)

// accountZone is the portal's time zone: Asia/Bangkok (UTC+7, no daylight
// saving), in which the daily allowance resets at midnight.
var accountZone = time.FixedZone("Asia/Bangkok", 7*3600)

// limiter keeps the rolling windows and the daily count.
type limiter struct {
	mu     sync.Mutex
	burst  map[string][]time.Time // per token: times of admitted requests
	apps   map[string]int         // per token: a stable app ID for groupName
	search []time.Time
	day    string
	daily  int64
}

func newLimiter() *limiter {
	return &limiter{burst: map[string][]time.Time{}, apps: map[string]int{}}
}

func (l *limiter) reset() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.burst, l.apps, l.search, l.day, l.daily = map[string][]time.Time{}, map[string]int{}, nil, "", 0
}

// prune drops times outside the window ending at now.
func prune(ts []time.Time, now time.Time, window time.Duration) []time.Time {
	i := 0
	for i < len(ts) && now.Sub(ts[i]) >= window {
		i++
	}
	return ts[i:]
}

// usage returns the daily count, rolling over at midnight in the account's
// time zone.
func (l *limiter) usage(now time.Time) int64 {
	day := now.In(accountZone).Format("2006-01-02")
	if day != l.day {
		l.day, l.daily = day, 0
	}
	return l.daily
}

// admit counts one request. It sets HubSpot's rate-limit headers (not on
// search, which HubSpot answers without them) and returns a 429 body when a
// limit is reached.
func (l *limiter) admit(s *Server, h http.Header, tier, token string, search bool) *rateLimitBody {
	lim := limitsOf(tier)
	now := s.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	used := l.usage(now)
	app, ok := l.apps[token]
	if !ok {
		app = firstAppID + len(l.apps)
		l.apps[token] = app
	}
	if !search {
		h.Set("X-HubSpot-RateLimit-Daily", strconv.FormatInt(lim.daily, 10))
	}
	if used >= lim.daily {
		if !search {
			h.Set("X-HubSpot-RateLimit-Daily-Remaining", "0")
		}
		return &rateLimitBody{Status: "error", Message: "You have reached your daily limit.", ErrorType: "RATE_LIMIT",
			CorrelationID: s.correlationID(), PolicyName: "DAILY", RequestID: s.correlationID()}
	}
	if search {
		l.search = prune(l.search, now, searchWindow)
		if len(l.search) >= searchPerSecond {
			return &rateLimitBody{Status: "error", Message: "You have reached your secondly limit.", ErrorType: "RATE_LIMIT",
				CorrelationID: s.correlationID(), GroupName: fmt.Sprintf("publicapi:private_app-api-calls-secondly:%d", s.portalID),
				PolicyName: "SECONDLY", RequestID: s.correlationID()}
		}
		l.search = append(l.search, now)
		l.daily++
		return nil
	}
	win := prune(l.burst[token], now, burstWindow)
	secondly := lim.burst / 10
	inLastSecond := len(win) - len(prune(win, now, time.Second))
	h.Set("X-HubSpot-RateLimit-Interval-Milliseconds", strconv.FormatInt(burstWindow.Milliseconds(), 10))
	h.Set("X-HubSpot-RateLimit-Max", strconv.Itoa(lim.burst))
	h.Set("X-HubSpot-RateLimit-Secondly", strconv.Itoa(secondly))
	if len(win) >= lim.burst {
		l.burst[token] = win
		h.Set("X-HubSpot-RateLimit-Daily-Remaining", strconv.FormatInt(lim.daily-used, 10))
		h.Set("X-HubSpot-RateLimit-Remaining", "0")
		h.Set("X-HubSpot-RateLimit-Secondly-Remaining", strconv.Itoa(max(0, secondly-len(win)+len(prune(win, now, time.Second)))))
		return s.tenSecondlyBody(app)
	}
	win = append(win, now)
	l.burst[token] = win
	l.daily++
	h.Set("X-HubSpot-RateLimit-Daily-Remaining", strconv.FormatInt(lim.daily-l.daily, 10))
	h.Set("X-HubSpot-RateLimit-Remaining", strconv.Itoa(lim.burst-len(win)))
	h.Set("X-HubSpot-RateLimit-Secondly-Remaining", strconv.Itoa(max(0, secondly-inLastSecond-1)))
	return nil
}

// tenSecondlyBody is the 429 body of the burst limit of the app with ID app.
func (s *Server) tenSecondlyBody(app int) *rateLimitBody {
	return &rateLimitBody{Status: "error", Message: "You have reached your ten_secondly_rolling limit.", ErrorType: "RATE_LIMIT",
		CorrelationID: s.correlationID(), PolicyName: "TEN_SECONDLY_ROLLING",
		GroupName: fmt.Sprintf("publicapi:private_app-api-calls-ten-secondly:%d:%d", app, s.portalID)}
}

// MarshalJSON writes the fields in the order HubSpot sends each policy's
// body, so captured bodies compare byte for byte.
func (b *rateLimitBody) MarshalJSON() ([]byte, error) {
	order := []string{"status", "message", "errorType", "correlationId", "policyName", "groupName", "requestId"}
	if b.PolicyName == "SECONDLY" {
		order = []string{"status", "message", "errorType", "correlationId", "groupName", "policyName", "requestId"}
	}
	vals := map[string]string{"status": b.Status, "message": b.Message, "errorType": b.ErrorType, "correlationId": b.CorrelationID,
		"policyName": b.PolicyName, "groupName": b.GroupName, "requestId": b.RequestID}
	var buf bytes.Buffer
	buf.WriteByte('{')
	first := true
	for _, k := range order {
		v := vals[k]
		if v == "" && (k == "groupName" || k == "requestId") {
			continue
		}
		if !first {
			buf.WriteByte(',')
		}
		first = false
		kb, _ := json.Marshal(k)
		vb, _ := json.Marshal(v)
		buf.Write(kb)
		buf.WriteByte(':')
		buf.Write(vb)
	}
	buf.WriteByte('}')
	return buf.Bytes(), nil
}

// dailyUsage returns today's count, the tier's allowance and the next reset.
func (s *Server) dailyUsage() (used, limit int64, resets time.Time) {
	now := s.now()
	s.limits.mu.Lock()
	used = s.limits.usage(now)
	s.limits.mu.Unlock()
	lim := limitsOf(s.Config().Tier)
	local := now.In(accountZone)
	resets = time.Date(local.Year(), local.Month(), local.Day()+1, 0, 0, 0, 0, accountZone)
	return used, lim.daily, resets
}
