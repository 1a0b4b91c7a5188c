package main

import (
	"testing"
	"time"

	"github.com/spf13/pflag"
)

func TestProtectionFlags(t *testing.T) {
	t.Parallel()
	tests := []struct {
		args []string
		ok   bool
	}{
		{nil, true},
		{[]string{"--brute-force-max-attempts=0", "--ip-login-failures=0", "--ip-signups=0", "--ip-client-auth-failures=0"}, true},
		{[]string{"--ip-signups=0", "--ip-signups-period=0s"}, true},
		{[]string{"--brute-force-max-attempts=-1"}, false},
		{[]string{"--ip-login-failures=-5"}, false},
		{[]string{"--ip-signups-period=0s"}, false},
		{[]string{"--ip-client-auth-failures-period=-1m"}, false},
	}
	for _, tt := range tests {
		var p protectionOptions
		f := pflag.NewFlagSet("serve", pflag.ContinueOnError)
		p.addFlags(f)
		if err := f.Parse(tt.args); err != nil {
			t.Fatal(err)
		}
		if err := p.validate(); (err == nil) != tt.ok {
			t.Errorf("%v: validate() = %v, want ok=%v", tt.args, err, tt.ok)
		}
	}
}

func TestProtectionDefaults(t *testing.T) {
	t.Parallel()
	var p protectionOptions
	p.addFlags(pflag.NewFlagSet("serve", pflag.ContinueOnError))
	tok := p.token()
	if tok.MaxLoginFailures != 10 || tok.LoginFailuresPerIP == nil || tok.ClientAuthFailuresPerIP == nil || p.signups() == nil {
		t.Fatalf("defaults = %+v, signups %v", tok, p.signups())
	}
	// Auth0's suspicious IP throttling: 100 failed logins, then one more
	// per 864 s.
	for range 100 {
		tok.LoginFailuresPerIP.Allow("ip")
	}
	if d := tok.LoginFailuresPerIP.Peek("ip"); d.Allowed || d.RetryAfter < 863*time.Second || d.RetryAfter > 865*time.Second {
		t.Fatalf("after 100 failures: %+v", d)
	}
	p.maxLoginFailures, p.signupsPerIP = 0, 0
	if p.token().MaxLoginFailures >= 0 || p.signups() != nil {
		t.Fatal("0 does not turn protection off")
	}
}
