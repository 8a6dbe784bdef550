// Package secret derives purpose-specific keys from the master secret key,
// encrypts stored credentials and makes random tokens.
//
// One master key (SWITCHBOARD_MASTER_KEY) protects everything at rest. Each
// use gets its own subkey through HKDF-SHA256 with a fixed label, so a key
// that signs cursors never also encrypts CRM tokens.
package secret

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
)

// MinMasterKeyLength is the shortest master key accepted, in bytes of text.
const MinMasterKeyLength = 32

// Subkey labels. Changing one invalidates everything protected by it.
const (
	LabelEncryption = "switchboard encryption v1"
	LabelJWT        = "switchboard jwt v1"
	LabelCursor     = "switchboard cursor v1"
	LabelSession    = "switchboard session v1"
)

// ErrDecrypt is returned when a ciphertext was not made with this keyring or
// was altered.
var ErrDecrypt = errors.New("decrypt: ciphertext is invalid or was made with another master key")

// Keyring holds the subkeys derived from one master key.
type Keyring struct {
	master []byte
	aead   cipher.AEAD
}

// NewKeyring derives the keyring from a master key given as text.
func NewKeyring(masterKey string) (*Keyring, error) {
	if len(masterKey) < MinMasterKeyLength {
		return nil, fmt.Errorf("master key is %d characters long, at least %d are required", len(masterKey), MinMasterKeyLength)
	}
	k := &Keyring{master: []byte(masterKey)}

	block, err := aes.NewCipher(k.Subkey(LabelEncryption))
	if err != nil {
		return nil, fmt.Errorf("create cipher: %w", err)
	}
	k.aead, err = cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("create GCM: %w", err)
	}
	return k, nil
}

// Subkey returns a 32-byte key for the purpose named by label.
func (k *Keyring) Subkey(label string) []byte {
	key, err := hkdf.Key(sha256.New, k.master, nil, label, 32)
	if err != nil {
		// hkdf.Key fails only for lengths above 255*32 bytes.
		panic(fmt.Sprintf("derive subkey: %v", err))
	}
	return key
}

// Encrypt seals plaintext with AES-256-GCM. The result is base64 text with
// the nonce in front, safe to store in a text column.
func (k *Keyring) Encrypt(plaintext []byte) (string, error) {
	nonce := make([]byte, k.aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return "", fmt.Errorf("read nonce: %w", err)
	}
	sealed := k.aead.Seal(nonce, nonce, plaintext, nil)
	return base64.RawStdEncoding.EncodeToString(sealed), nil
}

// Decrypt opens a value made by Encrypt.
func (k *Keyring) Decrypt(ciphertext string) ([]byte, error) {
	sealed, err := base64.RawStdEncoding.DecodeString(ciphertext)
	if err != nil || len(sealed) < k.aead.NonceSize() {
		return nil, ErrDecrypt
	}
	nonce, body := sealed[:k.aead.NonceSize()], sealed[k.aead.NonceSize():]
	plaintext, err := k.aead.Open(nil, nonce, body, nil)
	if err != nil {
		return nil, ErrDecrypt
	}
	return plaintext, nil
}

// NewMasterKey returns a fresh random master key as base64 text.
func NewMasterKey() string {
	return RandomToken(32)
}

// RandomToken returns n random bytes as unpadded URL-safe base64.
func RandomToken(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		// crypto/rand never fails on supported platforms since Go 1.24.
		panic(fmt.Sprintf("read random bytes: %v", err))
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// HashToken returns the hex SHA-256 of a high-entropy token. A fast hash is
// enough because tokens are 32 random bytes; passwords need a slow hash.
func HashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}
