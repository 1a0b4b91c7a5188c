package password

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// Policy names: the values of a database connection's
// options.passwordPolicy in Auth0.
const (
	PolicyNone      = "none"
	PolicyLow       = "low"
	PolicyFair      = "fair"
	PolicyGood      = "good"
	PolicyExcellent = "excellent"
)

// DefaultPolicy is the policy of a connection that names none, as Auth0
// gives new database connections.
const DefaultPolicy = PolicyGood

// MaxLength bounds every password (characters), whatever the policy: a
// password hash should not be a way to make the server hash megabytes.
// Auth0 refuses long passwords too (72 bytes where it uses bcrypt).
const MaxLength = 128

// MaxMinLength is the largest minimum length a connection may set (Auth0's
// password_complexity_options.min_length is 1 to 128).
const MaxMinLength = MaxLength

// Policy is one of Auth0's password policies. The rules are those of
// auth0/password-sheriff, the library Auth0 applies them with:
//
//	none       at least 1 character
//	low        at least 6 characters
//	fair       at least 8 characters, with lower case, upper case and digits
//	good       at least 8 characters, with 3 of: lower case, upper case,
//	           digits, special characters
//	excellent  good with at least 10 characters and no more than 2
//	           identical characters in a row
//
// Letters and digits are ASCII (a-z, A-Z, 0-9); special characters are
// OWASP's: space and ASCII punctuation. Lengths count Unicode code points
// (Auth0 counts UTF-16 units: the two differ only for characters outside the
// Basic Multilingual Plane).
type Policy struct {
	name      string
	minLength int
	// containsAll requires every class (fair); atLeast requires that many
	// of them (good, excellent).
	containsAll  []charClass
	atLeast      int
	anyOf        []charClass
	maxIdentical int
}

// NewPolicy returns the named policy ("" is DefaultPolicy). A minLength
// above zero replaces the policy's minimum length, as a connection's
// password_complexity_options.min_length does.
func NewPolicy(name string, minLength int) (*Policy, error) {
	if name == "" {
		name = DefaultPolicy
	}
	all := []charClass{lowerCase, upperCase, numbers, specialCharacters}
	var p Policy
	switch name {
	case PolicyNone:
		p = Policy{minLength: 1}
	case PolicyLow:
		p = Policy{minLength: 6}
	case PolicyFair:
		p = Policy{minLength: 8, containsAll: []charClass{lowerCase, upperCase, numbers}}
	case PolicyGood:
		p = Policy{minLength: 8, atLeast: 3, anyOf: all}
	case PolicyExcellent:
		p = Policy{minLength: 10, atLeast: 3, anyOf: all, maxIdentical: 2}
	default:
		return nil, fmt.Errorf("password: unknown policy %q (want none, low, fair, good or excellent)", name)
	}
	if minLength < 0 || minLength > MaxMinLength {
		return nil, fmt.Errorf("password: minimum length %d is not between 1 and %d", minLength, MaxMinLength)
	}
	if minLength > 0 {
		p.minLength = minLength
	}
	p.name = name
	return &p, nil
}

// Name is the policy's name.
func (p *Policy) Name() string { return p.name }

// Rule is one rule of a policy as Auth0 explains a weak password (the items
// of PasswordStrengthError's description.rules): Message holds printf verbs
// that Format fills, Items the character classes of a rule about them, and
// Verified whether the password satisfies it.
type Rule struct {
	Message  string `json:"message"`
	Format   []any  `json:"format,omitempty"`
	Code     string `json:"code"`
	Items    []Rule `json:"items,omitempty"`
	Verified bool   `json:"verified"`
}

// StrengthError is a password refused by a policy: every rule of the policy
// with whether the password met it, and the policy as Auth0's bulleted text.
type StrengthError struct {
	Rules  []Rule
	Policy string
}

func (e *StrengthError) Error() string { return "Password is too weak" }

// Check returns nil if pw satisfies the policy (and MaxLength), else the
// explanation.
func (p *Policy) Check(pw string) *StrengthError {
	rules := p.rules(pw)
	ok := true
	for _, r := range rules {
		ok = ok && r.Verified
	}
	if n := utf8.RuneCountInString(pw); n > MaxLength {
		rules = append(rules, Rule{Message: "Maximum password length exceeded", Format: []any{MaxLength}, Code: "maxLength"})
		ok = false
	}
	if ok {
		return nil
	}
	return &StrengthError{Rules: rules, Policy: p.String()}
}

// rules is password-sheriff's missing(): every rule, in order, with
// Verified set for pw.
func (p *Policy) rules(pw string) []Rule {
	var out []Rule
	n := utf8.RuneCountInString(pw)
	if p.minLength == 1 {
		out = append(out, Rule{Message: "Non-empty password required", Code: "nonEmpty", Verified: n >= 1})
	} else {
		out = append(out, Rule{Message: "At least %d characters in length", Format: []any{p.minLength}, Code: "lengthAtLeast", Verified: n >= p.minLength})
	}
	if len(p.containsAll) > 0 {
		items, met := classItems(p.containsAll, pw)
		out = append(out, Rule{Message: "Should contain:", Code: "shouldContain", Items: items, Verified: met == len(items)})
	}
	if p.atLeast > 0 {
		items, met := classItems(p.anyOf, pw)
		out = append(out, Rule{Message: "Contain at least %d of the following %d types of characters:",
			Format: []any{p.atLeast, len(p.anyOf)}, Code: "containsAtLeast", Items: items, Verified: met >= p.atLeast})
	}
	if p.maxIdentical > 0 {
		out = append(out, Rule{Message: `No more than %d identical characters in a row (e.g., "%s" not allowed)`,
			Format: []any{p.maxIdentical, strings.Repeat("a", p.maxIdentical+1)}, Code: "identicalChars",
			Verified: n > 0 && longestRun(pw) <= p.maxIdentical})
	}
	return out
}

func classItems(classes []charClass, pw string) (items []Rule, met int) {
	for _, c := range classes {
		ok := strings.ContainsFunc(pw, c.test)
		if ok {
			met++
		}
		items = append(items, Rule{Message: c.message, Code: c.code, Verified: ok})
	}
	return items, met
}

// longestRun is the length of the longest run of one repeated character.
func longestRun(s string) int {
	longest, run := 0, 0
	var prev rune = -1
	for _, r := range s {
		if r == prev {
			run++
		} else {
			prev, run = r, 1
		}
		longest = max(longest, run)
	}
	return longest
}

// String is the policy as Auth0 words it in PasswordStrengthError's policy:
// one "* " line per rule, character classes indented by one space.
func (p *Policy) String() string {
	var lines []string
	for _, r := range p.rules("") {
		lines = append(lines, "* "+r.text())
		for _, it := range r.Items {
			lines = append(lines, " * "+it.text())
		}
	}
	return strings.Join(lines, "\n")
}

// text is Message with its %d and %s filled from Format, in order, as
// password-sheriff's util.format does: other % sequences are kept as they
// are ("!@#$%^&*" in a character class's message).
func (r Rule) text() string {
	var b strings.Builder
	args := r.Format
	msg := r.Message
	for {
		i := strings.IndexByte(msg, '%')
		if i < 0 || i == len(msg)-1 {
			b.WriteString(msg)
			return b.String()
		}
		b.WriteString(msg[:i])
		switch verb := msg[i+1]; {
		case (verb == 'd' || verb == 's') && len(args) > 0:
			fmt.Fprint(&b, args[0])
			args = args[1:]
		default:
			b.WriteString(msg[i : i+2])
		}
		msg = msg[i+2:]
	}
}

// charClass is a kind of character a policy counts.
type charClass struct {
	message, code string
	test          func(rune) bool
}

var (
	lowerCase = charClass{"lower case letters (a-z)", "lowerCase", func(r rune) bool { return 'a' <= r && r <= 'z' }}
	upperCase = charClass{"upper case letters (A-Z)", "upperCase", func(r rune) bool { return 'A' <= r && r <= 'Z' }}
	numbers   = charClass{"numbers (i.e. 0-9)", "numbers", func(r rune) bool { return '0' <= r && r <= '9' }}
	// specialCharacters are OWASP's password special characters: space and
	// every ASCII punctuation character.
	specialCharacters = charClass{"special characters (e.g. !@#$%^&*)", "specialCharacters", func(r rune) bool {
		return r == ' ' || ('!' <= r && r <= '/') || (':' <= r && r <= '@') || ('[' <= r && r <= '`') || ('{' <= r && r <= '~')
	}}
)
