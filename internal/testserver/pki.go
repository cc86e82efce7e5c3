// Package testserver starts real loopback servers for the tests: a healthy
// HTTP(S) app and every misbehaving peer the probe must survive (silent,
// dripping, endless, garbage, resets, bad certificates). Only tests import it.
package testserver

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"sync"
	"time"
)

// PKI is a throwaway certificate authority and the certificates the tests
// serve: good, expired, for the wrong host, self-signed, and a client
// certificate for mTLS.
type PKI struct {
	CAPEM      []byte
	CAPool     *x509.CertPool
	Good       tls.Certificate // 127.0.0.1, ::1, localhost, api.example.com
	Expired    tls.Certificate
	WrongHost  tls.Certificate // other.example.com only
	SelfSigned tls.Certificate
	Client     tls.Certificate
	ClientPEM  []byte
	ClientKey  []byte
	ServerPEM  []byte // Good's certificate and key, for real servers (redis-server --tls-cert-file)
	ServerKey  []byte
	// Chained is a leaf valid for 90 days, presented with the intermediate
	// CA that signed it, valid for 10: the chain expires before the leaf.
	Chained tls.Certificate
	// ShortRoot is a leaf valid for 90 days, signed by a root CA of its
	// own (ShortRootPEM, short-ca.pem) that expires in 3: the root, which
	// the server never presents, expires first.
	ShortRoot    tls.Certificate
	ShortRootPEM []byte
}

var (
	pkiOnce sync.Once
	pki     *PKI
)

// Certs returns the process-wide test PKI, made on first use.
func Certs() *PKI {
	pkiOnce.Do(func() { pki = newPKI() })
	return pki
}

func newPKI() *PKI {
	caKey := mustKey()
	now := time.Now()
	caTmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "probe test CA"},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(365 * 24 * time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign,
	}
	caDER := must(x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey))
	ca := must(x509.ParseCertificate(caDER))
	p := &PKI{CAPEM: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER}), CAPool: x509.NewCertPool()}
	p.CAPool.AddCert(ca)

	leaf := func(serial int64, names []string, notBefore, notAfter time.Time, client bool, parent *x509.Certificate, parentKey *ecdsa.PrivateKey) (tls.Certificate, []byte, []byte) {
		key := mustKey()
		t := &x509.Certificate{
			SerialNumber: big.NewInt(serial),
			Subject:      pkix.Name{CommonName: names[0]},
			NotBefore:    notBefore,
			NotAfter:     notAfter,
			KeyUsage:     x509.KeyUsageDigitalSignature,
			ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		}
		if client {
			t.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}
		}
		for _, n := range names {
			if ip := net.ParseIP(n); ip != nil {
				t.IPAddresses = append(t.IPAddresses, ip)
			} else {
				t.DNSNames = append(t.DNSNames, n)
			}
		}
		if parent == nil {
			parent, parentKey = t, key
		}
		der := must(x509.CreateCertificate(rand.Reader, t, parent, &key.PublicKey, parentKey))
		keyDER := must(x509.MarshalECPrivateKey(key))
		certPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
		keyPEM := pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER})
		return must(tls.X509KeyPair(certPEM, keyPEM)), certPEM, keyPEM
	}
	hosts := []string{"localhost", "127.0.0.1", "::1", "api.example.com"}
	p.Good, p.ServerPEM, p.ServerKey = leaf(2, hosts, now.Add(-time.Hour), now.Add(24*time.Hour), false, ca, caKey)
	p.Expired, _, _ = leaf(3, hosts, now.Add(-48*time.Hour), now.Add(-24*time.Hour), false, ca, caKey)
	p.WrongHost, _, _ = leaf(4, []string{"other.example.com"}, now.Add(-time.Hour), now.Add(24*time.Hour), false, ca, caKey)
	p.SelfSigned, _, _ = leaf(5, hosts, now.Add(-time.Hour), now.Add(24*time.Hour), false, nil, nil)
	p.Client, p.ClientPEM, p.ClientKey = leaf(6, []string{"probe client"}, now.Add(-time.Hour), now.Add(24*time.Hour), true, ca, caKey)

	interKey := mustKey()
	interTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(7), Subject: pkix.Name{CommonName: "probe test intermediate"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(10 * 24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	interDER := must(x509.CreateCertificate(rand.Reader, interTmpl, ca, &interKey.PublicKey, caKey))
	inter := must(x509.ParseCertificate(interDER))
	chainLeaf, _, _ := leaf(8, hosts, now.Add(-time.Hour), now.Add(90*24*time.Hour), false, inter, interKey)
	p.Chained = tls.Certificate{Certificate: [][]byte{chainLeaf.Certificate[0], interDER}, PrivateKey: chainLeaf.PrivateKey}

	shortKey := mustKey()
	shortTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(9), Subject: pkix.Name{CommonName: "probe short-lived CA"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(3 * 24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	shortDER := must(x509.CreateCertificate(rand.Reader, shortTmpl, shortTmpl, &shortKey.PublicKey, shortKey))
	p.ShortRootPEM = pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: shortDER})
	p.ShortRoot, _, _ = leaf(10, hosts, now.Add(-time.Hour), now.Add(90*24*time.Hour), false, must(x509.ParseCertificate(shortDER)), shortKey)
	return p
}

// WriteFiles writes ca.pem, short-ca.pem, client.pem, client-key.pem,
// server.pem and server-key.pem into dir.
func (p *PKI) WriteFiles(dir string) error {
	for name, data := range map[string][]byte{"ca.pem": p.CAPEM, "short-ca.pem": p.ShortRootPEM, "client.pem": p.ClientPEM, "client-key.pem": p.ClientKey,
		"server.pem": p.ServerPEM, "server-key.pem": p.ServerKey} {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o600); err != nil {
			return err
		}
	}
	return nil
}

func mustKey() *ecdsa.PrivateKey { return must(ecdsa.GenerateKey(elliptic.P256(), rand.Reader)) }

func must[T any](v T, err error) T {
	if err != nil {
		panic("testserver: " + err.Error())
	}
	return v
}
