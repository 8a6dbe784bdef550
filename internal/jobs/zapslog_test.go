package jobs

import (
	"errors"
	"log/slog"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"
)

func TestZapHandlerWritesFields(t *testing.T) {
	core, logs := observer.New(zapcore.InfoLevel)
	log := slog.New(newZapHandler(zap.New(core)))

	log.With("service", "producer").WithGroup("job").Warn("Job errored",
		slog.Int64("id", 42),
		slog.String("error", errors.New("CRM unavailable").Error()),
		slog.Duration("took", 1500*time.Millisecond),
		slog.Group("queue", slog.String("name", "crm")))

	entries := logs.All()
	require.Len(t, entries, 1)
	require.Equal(t, zapcore.WarnLevel, entries[0].Level)
	require.Equal(t, "Job errored", entries[0].Message)
	require.Equal(t, map[string]any{
		"service":        "producer",
		"job.id":         int64(42),
		"job.error":      "CRM unavailable",
		"job.took":       1500 * time.Millisecond,
		"job.queue.name": "crm",
	}, entries[0].ContextMap())
}

func TestZapHandlerLevels(t *testing.T) {
	tests := []struct {
		name  string
		level slog.Level
		want  zapcore.Level
	}{
		{"debug", slog.LevelDebug, zapcore.DebugLevel},
		{"info", slog.LevelInfo, zapcore.InfoLevel},
		{"between info and warn", slog.LevelInfo + 2, zapcore.InfoLevel},
		{"warn", slog.LevelWarn, zapcore.WarnLevel},
		{"error", slog.LevelError, zapcore.ErrorLevel},
		{"above error", slog.LevelError + 4, zapcore.ErrorLevel},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.Equal(t, tt.want, zapLevel(tt.level))
		})
	}
}

func TestZapHandlerDropsBelowLevel(t *testing.T) {
	core, logs := observer.New(zapcore.InfoLevel)
	log := slog.New(newZapHandler(zap.New(core)))

	log.Debug("fetched jobs", slog.Int("count", 3))

	require.Zero(t, logs.Len())
}
