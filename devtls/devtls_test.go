package devtls

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"
)

func caPool(t *testing.T, caFile string) *x509.CertPool {
	t.Helper()
	data, err := os.ReadFile(caFile)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(data) {
		t.Fatal("ca.pem holds no certificate")
	}
	return pool
}

func leaf(t *testing.T, certFile string) *x509.Certificate {
	t.Helper()
	data, err := os.ReadFile(certFile)
	if err != nil {
		t.Fatal(err)
	}
	block, _ := pem.Decode(data)
	if block == nil {
		t.Fatal("cert.pem is not PEM")
	}
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	return cert
}

func TestEnsureVerifiesAgainstCA(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "tls")
	certFile, keyFile, caFile, err := Ensure(dir, []string{"auth.example.test", "localhost"})
	if err != nil {
		t.Fatal(err)
	}
	pool := caPool(t, caFile)
	cert := leaf(t, certFile)
	for _, name := range []string{"localhost", "127.0.0.1", "::1", "auth.example.test"} {
		if _, err := cert.Verify(x509.VerifyOptions{DNSName: name, Roots: pool, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}); err != nil {
			t.Errorf("verify for %s: %v", name, err)
		}
	}
	if _, err := cert.Verify(x509.VerifyOptions{DNSName: "other.example.test", Roots: pool}); err == nil {
		t.Error("certificate verified for a host it was not issued for")
	}
	for _, f := range []string{keyFile, filepath.Join(dir, CAKeyFile)} {
		st, err := os.Stat(f)
		if err != nil {
			t.Fatal(err)
		}
		if st.Mode().Perm() != 0o600 {
			t.Errorf("%s has mode %v, want 0600", f, st.Mode().Perm())
		}
	}
	ca := leaf(t, caFile)
	if !ca.IsCA || ca.NotAfter.Before(time.Now().AddDate(9, 0, 0)) {
		t.Errorf("CA: IsCA=%v NotAfter=%v, want a CA valid about 10 years", ca.IsCA, ca.NotAfter)
	}
}

func TestEnsureReusesAndReissues(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	read := func(name string) []byte {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	now := time.Now()
	if _, _, _, err := ensure(dir, []string{"a.test"}, now); err != nil {
		t.Fatal(err)
	}
	ca1, cert1 := read(CAFile), read(CertFile)

	// Same hosts (in another spelling): nothing changes.
	if _, _, _, err := ensure(dir, []string{"A.test:8443", "127.0.0.1"}, now); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(read(CAFile), ca1) || !bytes.Equal(read(CertFile), cert1) {
		t.Fatal("files were rewritten although nothing changed")
	}

	// Another host: new server certificate, same CA.
	if _, _, _, err := ensure(dir, []string{"b.test"}, now); err != nil {
		t.Fatal(err)
	}
	cert2 := read(CertFile)
	if bytes.Equal(cert2, cert1) {
		t.Fatal("certificate not reissued for a new host list")
	}
	if !bytes.Equal(read(CAFile), ca1) {
		t.Fatal("CA replaced on a host change")
	}

	// Within 30 days of the server certificate's expiry: reissued, CA kept.
	later := now.Add(certValidity - 29*24*time.Hour)
	if _, _, _, err := ensure(dir, []string{"b.test"}, later); err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(read(CertFile), cert2) {
		t.Fatal("certificate not reissued near expiry")
	}
	if !bytes.Equal(read(CAFile), ca1) {
		t.Fatal("CA replaced although it is valid for years")
	}

	// A damaged key: both regenerated as needed, result still verifies.
	if err := os.WriteFile(filepath.Join(dir, KeyFile), []byte("garbage"), 0o600); err != nil {
		t.Fatal(err)
	}
	certFile, _, caFile, err := ensure(dir, []string{"b.test"}, now)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := leaf(t, certFile).Verify(x509.VerifyOptions{DNSName: "b.test", Roots: caPool(t, caFile)}); err != nil {
		t.Fatal(err)
	}
}

func TestTLSHandshake(t *testing.T) {
	t.Parallel()
	certFile, keyFile, caFile, err := Ensure(t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	pair, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, "hello")
	}))
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{pair}}
	srv.StartTLS()
	defer srv.Close()

	for _, serverName := range []string{"", "localhost"} {
		client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{
			RootCAs:    caPool(t, caFile),
			ServerName: serverName,
		}}}
		resp, err := client.Get(srv.URL) // https://127.0.0.1:port
		if err != nil {
			t.Fatalf("server name %q: %v", serverName, err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if string(body) != "hello" {
			t.Fatalf("body %q", body)
		}
		client.CloseIdleConnections()
	}

	// A client that does not trust the development CA must refuse.
	resp, err := (&http.Client{Transport: &http.Transport{}}).Get(srv.URL)
	if err == nil {
		resp.Body.Close()
		t.Fatal("handshake succeeded without trusting the CA")
	}
}

func TestNormalizeHosts(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   []string
		want []string
	}{
		{nil, []string{"127.0.0.1", "::1", "localhost"}},
		{[]string{"Example.test:8443", "", " example.test "}, []string{"127.0.0.1", "::1", "example.test", "localhost"}},
		{[]string{"[::1]:8443", "0:0:0:0:0:0:0:1", "10.0.0.1"}, []string{"10.0.0.1", "127.0.0.1", "::1", "localhost"}},
	}
	for _, tt := range tests {
		got := normalizeHosts(tt.in)
		if len(got) != len(tt.want) {
			t.Errorf("normalizeHosts(%q) = %q, want %q", tt.in, got, tt.want)
			continue
		}
		for i := range got {
			if got[i] != tt.want[i] {
				t.Errorf("normalizeHosts(%q) = %q, want %q", tt.in, got, tt.want)
				break
			}
		}
	}
}
