package main

import (
	"bytes"
	"context"
	"io"
	"regexp"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestDemoRunsClean(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var out, logs bytes.Buffer

	err := run(ctx, &out, &logs)

	require.NoError(t, err, "output:\n%s\ngateway log:\n%s", out.String(), logs.String())
	require.Regexp(t, `All \d+ checks passed\.\n$`, out.String())
	require.Empty(t, logs.String(), "the gateway logged errors")
	rows := []string{
		`twilio\s+\+442079460018\s+Ada Lovelace\s+completed\s+\S+\s+\S+\s+47 s\s+"VIP callers"\s+queue vip\s+3\n`,
		`twilio\s+\+14155550199\s+–\s+missed\s+–\s+\S+\s+0 s\s+"Unknown callers"\s+number \+14155550100\s+3\n`,
		`twilio\s+\+14155550107\s+Alan Turing\s+completed\s+\S+\s+\S+\s+62 s\s+default route \(no_rule_matched\)\s+queue sales\s+3\n`,
		`telnyx\s+\+14155550142\s+Grace Hopper\s+completed\s+\S+\s+\S+\s+88 s\s+"Owner's extension"\s+extension 204\s+3\n`,
	}
	for _, row := range rows {
		require.Regexp(t, regexp.MustCompile(row), out.String())
	}
}

func TestDemoCleansUp(t *testing.T) {
	g, err := startGateway(context.Background(), io.Discard)
	require.NoError(t, err)

	require.NoError(t, g.shutdown())

	require.NoDirExists(t, g.dataDir)
}

func TestPrinterReportsFailedChecks(t *testing.T) {
	var out bytes.Buffer
	p := &printer{out: &out}

	expectEqual(p, "the status", 500, 200)
	p.expect(true, "never printed")

	err := p.err()
	require.EqualError(t, err, "1 of 2 checks failed:\n  - the status is 500, expected 200")
	require.Equal(t, "      UNEXPECTED: the status is 500, expected 200\n", out.String())
}
