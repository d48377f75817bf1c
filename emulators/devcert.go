package emulators

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"time"
)

// Validity of dev certificates: fixed, so that a certificate depends on its
// name alone.
var (
	devCertNotBefore = time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	devCertNotAfter  = time.Date(2125, 1, 1, 0, 0, 0, 0, time.UTC)
)

// DevCertificate returns a self-signed server certificate for hosts and its
// private key, both in PEM, for a stand-in that serves TLS the way prod
// requires it. Both are derived from name alone (a P-256 key from a hash of
// the name, RFC 6979 signatures, a fixed serial and validity), so a
// stand-in gets the same certificate on every run and an unchanged
// container is reused. The key is no secret and guards nothing but a
// developer's local stand-in: clients connect with encryption but without
// verification (sslmode=require). P-256 rather than Ed25519: SCRAM channel
// binding (Postgres clients such as pgx and libpq use it over TLS) has no
// hash to bind to for an Ed25519 certificate.
func DevCertificate(name string, hosts ...string) (certPEM, keyPEM []byte, err error) {
	seed := sha256.Sum256([]byte("prodlike dev certificate\x00" + name))
	key, err := ecdsa.ParseRawPrivateKey(elliptic.P256(), seed[:])
	for err != nil { // the hash is not below the curve's order: about 1 in 2^32
		seed = sha256.Sum256(seed[:])
		key, err = ecdsa.ParseRawPrivateKey(elliptic.P256(), seed[:])
	}
	serial := new(big.Int).SetBytes(seed[:16])
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: name, Organization: []string{"prodlike dev stand-in"}},
		NotBefore:             devCertNotBefore,
		NotAfter:              devCertNotAfter,
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true, // self-signed: clients that verify can trust it as its own CA
	}
	for _, h := range hosts {
		if ip := net.ParseIP(h); ip != nil {
			tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
		} else {
			tmpl.DNSNames = append(tmpl.DNSNames, h)
		}
	}
	// A nil random source makes the ECDSA signature deterministic.
	der, err := x509.CreateCertificate(nil, tmpl, tmpl, key.Public(), key)
	if err != nil {
		return nil, nil, fmt.Errorf("dev certificate for %s: %w", name, err)
	}
	pkcs8, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, nil, fmt.Errorf("dev certificate key for %s: %w", name, err)
	}
	certPEM = pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	keyPEM = pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: pkcs8})
	return certPEM, keyPEM, nil
}
