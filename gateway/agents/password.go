package agents

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"

	"golang.org/x/crypto/argon2"
)

// Argon2id parameters of new password hashes: 19 MiB of memory, two
// passes, one lane, a 16-byte salt and a 32-byte key. They are the first
// argon2id setting of the OWASP Password Storage Cheat Sheet, which keeps a
// burst of sign-ins within a small memory budget. A hash records its own
// parameters, so raising these later still verifies older hashes.
const (
	argonMemoryKiB = 19 * 1024
	argonPasses    = 2
	argonLanes     = 1
	argonSaltBytes = 16
	argonKeyBytes  = 32
)

// Bounds on the parameters a stored hash may ask for, so a corrupted or
// planted hash cannot make one sign-in allocate gigabytes or spin for
// minutes.
const (
	maxArgonMemoryKiB = 256 * 1024
	maxArgonPasses    = 10
	maxArgonLanes     = 16
)

// Password length limits. The lower limit counts characters (Unicode
// code points), as a person counts them. The upper limit counts UTF-8
// bytes, because it bounds the work of one hash; it is far above any
// passphrase a person types.
const (
	MinPasswordChars = 8
	MaxPasswordBytes = 1024
)

// ErrInvalidHash means a stored password hash is not an argon2id PHC
// string this package can read.
var ErrInvalidHash = errors.New("password hash is not an argon2id PHC string")

// HashPassword returns the argon2id hash of password in PHC string format:
// $argon2id$v=19$m=19456,t=2,p=1$<salt>$<key>, with salt and key in
// unpadded standard base64.
func HashPassword(password string) (string, error) {
	salt := make([]byte, argonSaltBytes)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("read salt: %w", err)
	}
	key := argon2.IDKey([]byte(password), salt, argonPasses, argonMemoryKiB, argonLanes, argonKeyBytes)
	return formatHash(argonPasses, argonMemoryKiB, argonLanes, salt, key), nil
}

func formatHash(passes, memory uint32, lanes uint8, salt, key []byte) string {
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s",
		argon2.Version, memory, passes, lanes, b64.EncodeToString(salt), b64.EncodeToString(key))
}

// VerifyPassword reports whether password matches hash, comparing in
// constant time. It returns ErrInvalidHash for a hash it cannot read.
func VerifyPassword(hash, password string) (bool, error) {
	p, err := parseHash(hash)
	if err != nil {
		return false, err
	}
	key := argon2.IDKey([]byte(password), p.salt, p.passes, p.memory, p.lanes, uint32(len(p.key)))
	return subtle.ConstantTimeCompare(key, p.key) == 1, nil
}

// phc holds the parts of an argon2id PHC string.
type phc struct {
	memory, passes uint32
	lanes          uint8
	salt, key      []byte
}

func parseHash(hash string) (phc, error) {
	parts := strings.Split(hash, "$")
	if len(parts) != 6 || parts[0] != "" || parts[1] != "argon2id" {
		return phc{}, ErrInvalidHash
	}

	var version int
	if _, err := fmt.Sscanf(parts[2], "v=%d", &version); err != nil || version != argon2.Version {
		return phc{}, fmt.Errorf("%w: version %q is not v=%d", ErrInvalidHash, parts[2], argon2.Version)
	}

	var p phc
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &p.memory, &p.passes, &p.lanes); err != nil {
		return phc{}, fmt.Errorf("%w: parameters %q", ErrInvalidHash, parts[3])
	}
	if p.memory < 8*uint32(p.lanes) || p.memory > maxArgonMemoryKiB || p.passes < 1 || p.passes > maxArgonPasses ||
		p.lanes < 1 || p.lanes > maxArgonLanes {
		return phc{}, fmt.Errorf("%w: parameters %q are out of range", ErrInvalidHash, parts[3])
	}

	b64 := base64.RawStdEncoding
	var err error
	if p.salt, err = b64.DecodeString(parts[4]); err != nil || len(p.salt) < 8 {
		return phc{}, fmt.Errorf("%w: salt", ErrInvalidHash)
	}
	if p.key, err = b64.DecodeString(parts[5]); err != nil || len(p.key) < 16 || len(p.key) > 64 {
		return phc{}, fmt.Errorf("%w: key", ErrInvalidHash)
	}
	return p, nil
}

// dummyHash is verified when signing in with an unknown email, so that
// sign-in takes as long as one with a wrong password.
var dummyHash = formatHash(argonPasses, argonMemoryKiB, argonLanes, make([]byte, argonSaltBytes), make([]byte, argonKeyBytes))

// VerifyNothing spends the time of one VerifyPassword and returns false. It
// is for a sign-in with an unknown email.
func VerifyNothing(password string) bool {
	VerifyPassword(dummyHash, password)
	return false
}
