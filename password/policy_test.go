package password

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"
)

func mustPolicy(t testing.TB, name string, minLength int) *Policy {
	t.Helper()
	p, err := NewPolicy(name, minLength)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// TestPolicyCheck uses password-sheriff's own test vectors.
func TestPolicyCheck(t *testing.T) {
	t.Parallel()
	tests := []struct {
		policy string
		pass   []string
		fail   []string
	}{
		{PolicyNone, []string{"a", " ", "é"}, []string{""}},
		{PolicyLow, []string{"hello!", "123456", "pässwö"}, []string{"", "hello", "12345"}},
		{PolicyFair,
			[]string{"someP123", "somePASSWORD123"},
			[]string{"", "hello", "7charac", "KTHXBYE123", "123hellogoodbye", "helloGOODBYE", "someP12", "sömePÄSS"}},
		{PolicyGood,
			[]string{"someP1! ", "somePASSWORD123!@# ", "hello123!", "HELLO 123", "hello{}WORLD", "Correct-horse"},
			[]string{"", "hello", "7C arac", "HELLO123", "HELLO1234BYE", "!@ HELLO", "!@#     HELLO", "1234!@# ",
				"1234!@# 999", "hello@# ", "helo1234", "hello1234567", "helloHELLO", "helloHELLOBYE", "hello123",
				"helloÄÖÜ123", "héllo1234"}},
		{PolicyExcellent,
			[]string{"somePas1! ", "somePas!! ", "somePas123", "some!as123", "somePASSWORD123!@# "},
			[]string{"", "hello", "7C arac#", "HELLO12345", "!@#  HELLO", "1234!@#   ", "hello!@#  ", "hello12345",
				"helloHELLO", "hello111HELLO", "somePas1!!!", "aaaBBB1234"}},
	}
	for _, tt := range tests {
		p := mustPolicy(t, tt.policy, 0)
		for _, pw := range tt.pass {
			if err := p.Check(pw); err != nil {
				t.Errorf("%s: Check(%q) = %+v, want pass", tt.policy, pw, err.Rules)
			}
		}
		for _, pw := range tt.fail {
			if p.Check(pw) == nil {
				t.Errorf("%s: Check(%q) passed, want a StrengthError", tt.policy, pw)
			}
		}
	}
}

func TestPolicyDefaultAndErrors(t *testing.T) {
	t.Parallel()
	p := mustPolicy(t, "", 0)
	if p.Name() != PolicyGood {
		t.Fatalf(`NewPolicy("") = %s, want good`, p.Name())
	}
	for _, bad := range []struct {
		name string
		min  int
	}{{"strong", 0}, {"Good", 0}, {PolicyGood, -1}, {PolicyGood, MaxMinLength + 1}} {
		if _, err := NewPolicy(bad.name, bad.min); err == nil {
			t.Errorf("NewPolicy(%q, %d) succeeded", bad.name, bad.min)
		}
	}
}

func TestPolicyMinLength(t *testing.T) {
	t.Parallel()
	p := mustPolicy(t, PolicyGood, 12)
	if p.Check("someP1! abc") == nil {
		t.Error("11 characters passed a 12-character minimum")
	}
	if err := p.Check("someP1! abcd"); err != nil {
		t.Errorf("12 characters refused: %+v", err.Rules)
	}
	// A minimum of 1 is the non-empty rule, as password-sheriff words it.
	if got := mustPolicy(t, PolicyLow, 1).String(); got != "* Non-empty password required" {
		t.Errorf("low with min 1 = %q", got)
	}
	if mustPolicy(t, PolicyNone, 4).Check("abc") == nil {
		t.Error("none with min 4 accepted 3 characters")
	}
}

func TestPolicyMaxLength(t *testing.T) {
	t.Parallel()
	p := mustPolicy(t, PolicyNone, 0)
	if err := p.Check(strings.Repeat("ä", MaxLength)); err != nil {
		t.Fatalf("%d characters refused", MaxLength)
	}
	err := p.Check(strings.Repeat("a", MaxLength+1))
	if err == nil {
		t.Fatal("an overlong password passed")
	}
	last := err.Rules[len(err.Rules)-1]
	if last.Code != "maxLength" || last.Verified {
		t.Fatalf("last rule = %+v, want an unverified maxLength", last)
	}
}

// TestPolicyString compares with password-sheriff's toString tests.
func TestPolicyString(t *testing.T) {
	t.Parallel()
	classes := "* Contain at least 3 of the following 4 types of characters:\n" +
		" * lower case letters (a-z)\n * upper case letters (A-Z)\n * numbers (i.e. 0-9)\n * special characters (e.g. !@#$%^&*)"
	tests := map[string]string{
		PolicyNone:      "* Non-empty password required",
		PolicyLow:       "* At least 6 characters in length",
		PolicyFair:      "* At least 8 characters in length\n* Should contain:\n * lower case letters (a-z)\n * upper case letters (A-Z)\n * numbers (i.e. 0-9)",
		PolicyGood:      "* At least 8 characters in length\n" + classes,
		PolicyExcellent: "* At least 10 characters in length\n" + classes + "\n* No more than 2 identical characters in a row (e.g., \"aaa\" not allowed)",
	}
	for name, want := range tests {
		if got := mustPolicy(t, name, 0).String(); got != want {
			t.Errorf("%s:\n got %q\nwant %q", name, got, want)
		}
	}
}

// TestStrengthErrorRules compares the rules of a refused password with the
// description of a PasswordStrengthError Auth0 answered (recorded in
// go-auth0's tests) for a password with lower case and special characters.
func TestStrengthErrorRules(t *testing.T) {
	t.Parallel()
	const auth0 = `{"rules":[{"message":"At least %d characters in length","format":[8],"code":"lengthAtLeast","verified":true},{"message":"Contain at least %d of the following %d types of characters:","code":"containsAtLeast","format":[3,4],"items":[{"message":"lower case letters (a-z)","code":"lowerCase","verified":true},{"message":"upper case letters (A-Z)","code":"upperCase","verified":false},{"message":"numbers (i.e. 0-9)","code":"numbers","verified":false},{"message":"special characters (e.g. !@#$%^&*)","code":"specialCharacters","verified":true}],"verified":false}],"verified":false}`
	err := mustPolicy(t, PolicyGood, 0).Check("hello!@#$")
	if err == nil {
		t.Fatal("weak password passed")
	}
	got, jerr := json.Marshal(map[string]any{"rules": err.Rules, "verified": false})
	if jerr != nil {
		t.Fatal(jerr)
	}
	var g, w any
	if err := json.Unmarshal(got, &g); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal([]byte(auth0), &w); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(g, w) {
		t.Fatalf("rules:\n got %s\nwant %s", got, auth0)
	}
	if err.Error() != "Password is too weak" {
		t.Fatalf("Error() = %q", err.Error())
	}
	if err.Policy != mustPolicy(t, PolicyGood, 0).String() {
		t.Fatalf("Policy = %q", err.Policy)
	}
}

// FuzzPolicy checks on any input that Check never panics, that it passes
// exactly when every rule is verified, and that the policies nest as their
// rules say: excellent ⊂ good ⊂ low ⊂ none and fair ⊂ good.
func FuzzPolicy(f *testing.F) {
	for _, s := range []string{"", "a", "someP1! ", "somePas1! ", "hello111HELLO", "\x00\xff", "ÄÖÜ123abc", "😀😀😀Aa1!aaaa", strings.Repeat("Ab1!", 40)} {
		f.Add(s)
	}
	names := []string{PolicyNone, PolicyLow, PolicyFair, PolicyGood, PolicyExcellent}
	policies := map[string]*Policy{}
	for _, n := range names {
		policies[n] = mustPolicy(f, n, 0)
	}
	f.Fuzz(func(t *testing.T, pw string) {
		pass := map[string]bool{}
		for _, n := range names {
			err := policies[n].Check(pw)
			pass[n] = err == nil
			if err == nil {
				continue
			}
			allVerified := true
			for _, r := range err.Rules {
				allVerified = allVerified && r.Verified
			}
			if allVerified {
				t.Fatalf("%s refused %q with every rule verified", n, pw)
			}
			if _, jerr := json.Marshal(err.Rules); jerr != nil {
				t.Fatal(jerr)
			}
		}
		implies := [][2]string{{PolicyExcellent, PolicyGood}, {PolicyGood, PolicyLow}, {PolicyLow, PolicyNone}, {PolicyFair, PolicyGood}}
		for _, im := range implies {
			if pass[im[0]] && !pass[im[1]] {
				t.Fatalf("%q passes %s but not %s", pw, im[0], im[1])
			}
		}
		if pass[PolicyNone] != (pw != "" && utf8.RuneCountInString(pw) <= MaxLength) {
			t.Fatalf("none: pass=%v for %q", pass[PolicyNone], pw)
		}
	})
}
