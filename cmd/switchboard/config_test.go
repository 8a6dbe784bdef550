package main

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func envOf(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func TestConfigPrecedence(t *testing.T) {
	fs := flag.NewFlagSet("test", flag.ContinueOnError)
	addConfigFlags(fs)
	require.NoError(t, fs.Parse([]string{"--listen", "127.0.0.1:9999"}))

	cfg, err := loadConfig(fs, envOf(map[string]string{
		"SWITCHBOARD_LISTEN_ADDR": "127.0.0.1:7000",
		"SWITCHBOARD_LOG_LEVEL":   "debug",
	}))
	require.NoError(t, err)

	require.Equal(t, "127.0.0.1:9999", cfg.str("SWITCHBOARD_LISTEN_ADDR"), "flag overrides environment")
	require.Equal(t, "flag", cfg.source["SWITCHBOARD_LISTEN_ADDR"])
	require.Equal(t, "debug", cfg.str("SWITCHBOARD_LOG_LEVEL"), "environment overrides default")
	require.Equal(t, "json", cfg.str("SWITCHBOARD_LOG_FORMAT"), "default when unset")
	require.Equal(t, "http://127.0.0.1:9999", cfg.publicBaseURL())
}

func TestConfigValidationNamesEveryBadOption(t *testing.T) {
	_, err := loadConfig(nil, envOf(map[string]string{
		"SWITCHBOARD_DATABASE_URL":   "mysql://x",
		"SWITCHBOARD_LOG_LEVEL":      "loud",
		"SWITCHBOARD_MASTER_KEY":     "short",
		"SWITCHBOARD_TOKEN_TTL":      "-1m",
		"SWITCHBOARD_DEFAULT_REGION": "Germany",
	}))
	require.Error(t, err)
	for _, name := range []string{"SWITCHBOARD_DATABASE_URL", "SWITCHBOARD_LOG_LEVEL", "SWITCHBOARD_MASTER_KEY", "SWITCHBOARD_TOKEN_TTL", "SWITCHBOARD_DEFAULT_REGION"} {
		require.Contains(t, err.Error(), name)
	}
}

func TestConfigDumpHidesSecrets(t *testing.T) {
	cfg, err := loadConfig(nil, envOf(map[string]string{
		"SWITCHBOARD_DATABASE_URL": "postgres://app:hunter2-password@db/switchboard",
		"SWITCHBOARD_MASTER_KEY":   strings.Repeat("k", 40),
	}))
	require.NoError(t, err)

	dump := strings.Join(cfg.dump(), "\n")
	require.NotContains(t, dump, "hunter2-password")
	require.NotContains(t, dump, strings.Repeat("k", 40))
	require.Contains(t, dump, "(set, hidden)")
}

func TestMarkdownTableListsEveryOption(t *testing.T) {
	table := markdownTable()
	for _, o := range options {
		require.Contains(t, table, "`"+o.Env+"`")
	}
}

func TestConfigReadsSecretFromFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "master.key")
	require.NoError(t, os.WriteFile(path, []byte(strings.Repeat("m", 40)+"\n"), 0o600))

	cfg, err := loadConfig(nil, envOf(map[string]string{"SWITCHBOARD_MASTER_KEY_FILE": path}))
	require.NoError(t, err)
	require.Equal(t, strings.Repeat("m", 40), cfg.str("SWITCHBOARD_MASTER_KEY"))

	_, err = loadConfig(nil, envOf(map[string]string{"SWITCHBOARD_MASTER_KEY_FILE": path + ".missing"}))
	require.ErrorContains(t, err, "SWITCHBOARD_MASTER_KEY_FILE")
}
