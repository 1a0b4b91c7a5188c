package main

import (
	"fmt"
	"time"

	"github.com/spf13/pflag"

	"github.com/keyhook/keyhook"
	"github.com/keyhook/keyhook/oauth"
	"github.com/keyhook/keyhook/ratelimit"
)

// protectionOptions are the serve flags of Auth0-style attack protection.
// The per-IP limits are token buckets of n attempts refilled at n per
// period, in each node's memory.
type protectionOptions struct {
	maxLoginFailures         int
	loginFailures            int
	loginFailuresPeriod      time.Duration
	signupsPerIP             int
	signupsPeriod            time.Duration
	clientAuthFailures       int
	clientAuthFailuresPeriod time.Duration
}

func (p *protectionOptions) addFlags(f *pflag.FlagSet) {
	f.IntVar(&p.maxLoginFailures, "brute-force-max-attempts", keyhook.DefaultMaxLoginFailures,
		"consecutive failed logins of one user from one IP that block the pair until unblocked (0 disables)")
	f.IntVar(&p.loginFailures, "ip-login-failures", 100, "failed logins allowed per IP address per --ip-login-failures-period (0 disables)")
	f.DurationVar(&p.loginFailuresPeriod, "ip-login-failures-period", 24*time.Hour, "period in which an IP address regains its --ip-login-failures")
	f.IntVar(&p.signupsPerIP, "ip-signups", 50, "signups allowed per IP address per --ip-signups-period (0 disables)")
	f.DurationVar(&p.signupsPeriod, "ip-signups-period", time.Minute, "period in which an IP address regains its --ip-signups")
	f.IntVar(&p.clientAuthFailures, "ip-client-auth-failures", 100,
		"failed client authentications at /oauth/token allowed per IP address per --ip-client-auth-failures-period (0 disables)")
	f.DurationVar(&p.clientAuthFailuresPeriod, "ip-client-auth-failures-period", time.Hour, "period in which an IP address regains its --ip-client-auth-failures")
}

func (p *protectionOptions) validate() error {
	if p.maxLoginFailures < 0 {
		return fmt.Errorf("--brute-force-max-attempts %d: want 0 (off) or more", p.maxLoginFailures)
	}
	for _, l := range []struct {
		name   string
		n      int
		period time.Duration
	}{
		{"ip-login-failures", p.loginFailures, p.loginFailuresPeriod},
		{"ip-signups", p.signupsPerIP, p.signupsPeriod},
		{"ip-client-auth-failures", p.clientAuthFailures, p.clientAuthFailuresPeriod},
	} {
		if l.n < 0 {
			return fmt.Errorf("--%s %d: want 0 (off) or more", l.name, l.n)
		}
		if l.n > 0 && l.period <= 0 {
			return fmt.Errorf("--%s-period %s: want a positive duration", l.name, l.period)
		}
	}
	return nil
}

// perIP is a limiter of n attempts per period, or nil (no limit) for 0.
func perIP(n int, period time.Duration) *ratelimit.Limiter {
	if n == 0 {
		return nil
	}
	return ratelimit.New(ratelimit.Config{Capacity: n, RefillPerSecond: float64(n) / period.Seconds()})
}

func (p *protectionOptions) token() oauth.AttackProtection {
	threshold := p.maxLoginFailures
	if threshold == 0 {
		threshold = -1 // oauth's zero is the default threshold; the flag's is off
	}
	return oauth.AttackProtection{
		MaxLoginFailures:        threshold,
		LoginFailuresPerIP:      perIP(p.loginFailures, p.loginFailuresPeriod),
		ClientAuthFailuresPerIP: perIP(p.clientAuthFailures, p.clientAuthFailuresPeriod),
	}
}

func (p *protectionOptions) signups() *ratelimit.Limiter {
	return perIP(p.signupsPerIP, p.signupsPeriod)
}
