package agents

import (
	"encoding/base64"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/argon2"
)

func TestHashPasswordFormat(t *testing.T) {
	hash, err := HashPassword("correct horse battery staple")
	require.NoError(t, err)

	require.Regexp(t, `^\$argon2id\$v=19\$m=19456,t=2,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$`, hash)
	other, err := HashPassword("correct horse battery staple")
	require.NoError(t, err)
	require.NotEqual(t, hash, other, "each hash has its own salt")
}

func TestHashPasswordMatchesArgon2id(t *testing.T) {
	hash, err := HashPassword("s3cret-pass")
	require.NoError(t, err)
	parts := strings.Split(hash, "$")
	salt, err := base64.RawStdEncoding.DecodeString(parts[4])
	require.NoError(t, err)

	want := argon2.IDKey([]byte("s3cret-pass"), salt, 2, 19456, 1, 32)

	require.Equal(t, base64.RawStdEncoding.EncodeToString(want), parts[5])
}

func TestVerifyPassword(t *testing.T) {
	hash, err := HashPassword("s3cret-pass")
	require.NoError(t, err)

	ok, err := VerifyPassword(hash, "s3cret-pass")
	require.NoError(t, err)
	require.True(t, ok)

	ok, err = VerifyPassword(hash, "s3cret-Pass")
	require.NoError(t, err)
	require.False(t, ok)

	ok, err = VerifyPassword(hash, "")
	require.NoError(t, err)
	require.False(t, ok)
}

func TestVerifyPasswordOtherParameters(t *testing.T) {
	salt := []byte("0123456789abcdef")
	key := argon2.IDKey([]byte("pw-with-params"), salt, 3, 8192, 2, 24)
	hash := formatHash(3, 8192, 2, salt, key)

	ok, err := VerifyPassword(hash, "pw-with-params")

	require.NoError(t, err)
	require.True(t, ok)
}

func TestVerifyPasswordInvalidHash(t *testing.T) {
	salt := base64.RawStdEncoding.EncodeToString([]byte("0123456789abcdef"))
	key := base64.RawStdEncoding.EncodeToString(make([]byte, 32))
	tests := []struct {
		name string
		hash string
	}{
		{name: "empty", hash: ""},
		{name: "bcrypt", hash: "$2a$10$abcdefghijklmnopqrstuuOp0T9i5S8rYmXl3vU2wz6uX0bq0h4W"},
		{name: "argon2i", hash: "$argon2i$v=19$m=19456,t=2,p=1$" + salt + "$" + key},
		{name: "old version", hash: "$argon2id$v=16$m=19456,t=2,p=1$" + salt + "$" + key},
		{name: "huge memory", hash: "$argon2id$v=19$m=4194304,t=2,p=1$" + salt + "$" + key},
		{name: "zero passes", hash: "$argon2id$v=19$m=19456,t=0,p=1$" + salt + "$" + key},
		{name: "short salt", hash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$" + key},
		{name: "bad base64", hash: "$argon2id$v=19$m=19456,t=2,p=1$" + salt + "$!!!"},
		{name: "missing part", hash: "$argon2id$v=19$m=19456,t=2,p=1$" + salt},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ok, err := VerifyPassword(tt.hash, "anything")

			require.ErrorIs(t, err, ErrInvalidHash)
			require.False(t, ok)
		})
	}
}

func TestVerifyNothing(t *testing.T) {
	require.False(t, VerifyNothing(""))
	_, err := parseHash(dummyHash)
	require.NoError(t, err, "the dummy hash must take the full verification path")
}
