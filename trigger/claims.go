package trigger

import (
	"net/url"
	"strings"
)

// reservedClaimHosts are the domains Auth0 refuses as claim namespaces.
var reservedClaimHosts = []string{"auth0.com", "webtask.io", "webtask.run"}

// Namespaced reports whether a claim name is a namespaced custom claim in
// Auth0's legacy sense: an http or https URL whose host is not auth0.com,
// webtask.io, webtask.run or one of their subdomains.
func Namespaced(name string) bool {
	u, err := url.Parse(name)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") {
		return false
	}
	host := strings.ToLower(u.Hostname())
	if host == "" {
		return false
	}
	for _, r := range reservedClaimHosts {
		if host == r || strings.HasSuffix(host, "."+r) {
			return false
		}
	}
	return true
}
