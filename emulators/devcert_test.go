package emulators

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"slices"
	"testing"
)

func TestDevCertificate(t *testing.T) {
	cert, key, err := DevCertificate("shop-db", "db", "localhost", "127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	// The same name gives the same bytes: containers are reused by the hash
	// of what they are given.
	cert2, key2, err := DevCertificate("shop-db", "db", "localhost", "127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(cert, cert2) || !bytes.Equal(key, key2) {
		t.Error("two calls with the same name gave different certificates")
	}
	other, _, err := DevCertificate("shop-cache", "cache")
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(cert, other) {
		t.Error("two names gave the same certificate")
	}

	// A usable server key pair for crypto/tls, as servers load it.
	if _, err := tls.X509KeyPair(cert, key); err != nil {
		t.Fatalf("tls.X509KeyPair: %v", err)
	}
	block, _ := pem.Decode(cert)
	if block == nil || block.Type != "CERTIFICATE" {
		t.Fatalf("certificate PEM: got block %v", block)
	}
	c, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := c.DNSNames, []string{"db", "localhost"}; !slices.Equal(got, want) {
		t.Errorf("DNS names: got %q, want %q", got, want)
	}
	if len(c.IPAddresses) != 1 || c.IPAddresses[0].String() != "127.0.0.1" {
		t.Errorf("IP addresses: got %v, want [127.0.0.1]", c.IPAddresses)
	}
	// It verifies as its own root for every name it carries.
	roots := x509.NewCertPool()
	roots.AddCert(c)
	for _, host := range []string{"db", "localhost", "127.0.0.1"} {
		if _, err := c.Verify(x509.VerifyOptions{Roots: roots, DNSName: host}); err != nil {
			t.Errorf("verify for %s: %v", host, err)
		}
	}
	if _, err := c.Verify(x509.VerifyOptions{Roots: roots, DNSName: "cache"}); err == nil {
		t.Error("verify for a name the certificate does not carry: got nil error")
	}
}
