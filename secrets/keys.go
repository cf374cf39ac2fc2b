package secrets

import (
	"bytes"
	"strings"
	"unicode"
)

// keyClass says how much a key name tells about its value.
type keyClass int

const (
	notSensitive keyClass = iota
	// weakKey names (secret, token, credentials) also name references to
	// secrets, so their value must look random too.
	weakKey
	// strongKey names (password, api_key, client_secret) hold the credential
	// itself: any literal that is not a placeholder counts.
	strongKey
)

// strongParts are substrings of a key, lowercased with separators removed,
// that name a credential.
var strongParts = []string{
	"password", "passwd", "passphrase", "apikey", "apitoken", "accesskey",
	"secretkey", "privatekey", "clientsecret", "authtoken", "accesstoken",
	"refreshtoken", "bearertoken", "authkey", "signingkey", "encryptionkey",
	"masterkey", "accountkey", "sharedkey", "webhooksecret", "appsecret",
	"secrettoken", "sessiontoken", "bottoken", "idtoken",
}

// strongWords are whole words of a key that name a credential.
var strongWords = map[string]bool{
	"pwd": true, "pw": true, "pass": true, "passwd": true, "pgpass": true, "dbpass": true,
}

var weakParts = []string{"secret", "token", "credential", "creds"}

// headWords, as the last word of a key, mark a key whose value names,
// locates or describes a secret rather than holding it (secretName,
// password_file, token_ttl, secret_arn, secretKeyRef).
var headWords = map[string]bool{
	"ref": true, "refs": true, "reference": true, "name": true, "names": true,
	"file": true, "files": true, "path": true, "paths": true, "arn": true, "arns": true,
	"mount": true, "mounts": true, "dir": true, "url": true, "uri": true, "endpoint": true,
	"header": true, "type": true, "length": true, "ttl": true, "policy": true,
	"policies": true, "selector": true, "version": true, "enabled": true, "enable": true,
	"required": true, "store": true, "stores": true, "provider": true, "providers": true,
	"source": true, "template": true, "generator": true, "count": true, "prefix": true,
	"suffix": true, "field": true, "env": true, "var": true, "mode": true, "format": true,
	"rotation": true, "expiry": true, "expiration": true, "expires": true,
	"namespace": true, "annotation": true, "annotations": true, "label": true,
	"labels": true, "min": true, "max": true, "algorithm": true, "audience": true,
	"issuer": true, "lifetime": true, "duration": true, "timeout": true, "location": true,
	"region": true, "description": true, "help": true, "hint": true, "regex": true,
	"pattern": true, "size": true, "strength": true, "complexity": true, "manager": true,
	"engine": true, "backend": true, "kind": true, "class": true, "sensitive": true,
	"create": true, "generate": true, "autogenerate": true, "rotate": true,
	"permissions": true, "scope": true, "scopes": true, "keys": true, "id": true,
	"ids": true, "volume": true, "volumes": true, "items": true, "prompt": true,
	"resource": true, "resources": true, "output": true, "outputs": true, "schema": true,
	"data": true, "hash": true, "digest": true, "checksum": true, "sha": true,
	"sha256": true, "fingerprint": true, "encryption": true, "method": true,
	"tokens": true, "limit": true, "budget": true, // max_tokens, token_limit: counts
	"txt": true, "json": true, "yaml": true, "yml": true, "toml": true, "xml": true, // file names
	"ini": true, "conf": true, "cfg": true, "properties": true, "usage": true,
}

// markWords anywhere in a key mark it as not holding a plaintext secret.
var markWords = map[string]bool{
	"existing": true, "checksum": true, "encrypted": true, "sealed": true,
	"placeholder": true, "example": true, "hashed": true, "creation": true, // EFS creation_token
}

// sensitivity classifies a key name.
func sensitivity(key string) keyClass {
	if key == "" || len(key) > 128 || !mayName(key) {
		return notSensitive
	}
	return classify(key)
}

// classify is sensitivity from the key's words.
func classify(key string) keyClass {
	words := splitWords(key)
	if len(words) == 0 {
		return notSensitive
	}
	for _, w := range words {
		if markWords[w] {
			return notSensitive
		}
	}
	last := words[len(words)-1]
	if headWords[last] {
		return notSensitive
	}
	// passwordKey, tokenKey: the name of a key inside a Secret.
	if last == "key" && len(words) > 1 {
		switch words[len(words)-2] {
		case "password", "passwd", "token", "user", "username", "pass":
			return notSensitive
		}
	}
	joined := strings.Join(words, "")
	for _, p := range strongParts {
		if strings.Contains(joined, p) {
			return strongKey
		}
	}
	for _, w := range words {
		if strongWords[w] {
			return strongKey
		}
	}
	if last == "auth" {
		return weakKey // .dockerconfigjson "auth", basic_auth: user:pass in base64
	}
	for _, p := range weakParts {
		if strings.Contains(joined, p) {
			return weakKey
		}
	}
	return notSensitive
}

// markers are what every key that sensitivity does not find notSensitive
// holds once lowercased with all but letters and digits removed: each of
// strongParts, weakParts, strongWords and "auth" contains one.
var markers = [][]byte{[]byte("pass"), []byte("pw"), []byte("key"), []byte("token"), []byte("secret"), []byte("cred"), []byte("auth")}

// mayName reports whether key may name a credential: false for an ASCII
// key without a marker (most keys), which sensitivity then need not split
// into words.
func mayName(key string) bool {
	var buf [128]byte
	joined := buf[:0]
	for i := 0; i < len(key); i++ {
		c := key[i]
		switch {
		case c >= 0x80:
			return true // Unicode case folding: leave it to splitWords
		case c >= 'A' && c <= 'Z':
			joined = append(joined, c+'a'-'A')
		case c >= 'a' && c <= 'z' || c >= '0' && c <= '9':
			joined = append(joined, c)
		}
	}
	for _, m := range markers {
		if bytes.Contains(joined, m) {
			return true
		}
	}
	return false
}

// splitWords splits a key at separators and camelCase boundaries and
// lowercases the words: "spring.datasource.DBPassword" -> spring datasource db password.
func splitWords(key string) []string {
	var words []string
	var cur []rune
	flush := func() {
		if len(cur) > 0 {
			words = append(words, strings.ToLower(string(cur)))
			cur = cur[:0]
		}
	}
	rs := []rune(key)
	for i, r := range rs {
		switch {
		case !unicode.IsLetter(r) && !unicode.IsDigit(r):
			flush()
			continue
		case unicode.IsUpper(r) && len(cur) > 0:
			prevLower := unicode.IsLower(rs[i-1]) || unicode.IsDigit(rs[i-1])
			nextLower := i+1 < len(rs) && unicode.IsLower(rs[i+1])
			if prevLower || (unicode.IsUpper(rs[i-1]) && nextLower) {
				flush()
			}
		}
		cur = append(cur, r)
	}
	flush()
	return words
}
