package jobs

import (
	"context"
	"log/slog"
	"slices"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
)

// zapHandler is a slog.Handler writing to a zap.Logger, because River logs
// through log/slog and the gateway through zap.
type zapHandler struct {
	log    *zap.Logger
	fields []zap.Field
	// prefix is the dotted path of the groups opened with WithGroup.
	prefix string
}

func newZapHandler(log *zap.Logger) zapHandler {
	// River logs its messages with the caller's context; the caller frame
	// would be River's logging helper, so zap's caller is switched off.
	return zapHandler{log: log.WithOptions(zap.WithCaller(false))}
}

func (h zapHandler) Enabled(_ context.Context, level slog.Level) bool {
	return h.log.Core().Enabled(zapLevel(level))
}

func (h zapHandler) Handle(_ context.Context, record slog.Record) error {
	entry := h.log.Check(zapLevel(record.Level), record.Message)
	if entry == nil {
		return nil
	}
	fields := slices.Clone(h.fields)
	record.Attrs(func(attr slog.Attr) bool {
		fields = appendAttr(fields, h.prefix, attr)
		return true
	})
	entry.Write(fields...)
	return nil
}

func (h zapHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	fields := slices.Clone(h.fields)
	for _, attr := range attrs {
		fields = appendAttr(fields, h.prefix, attr)
	}
	return zapHandler{log: h.log, fields: fields, prefix: h.prefix}
}

func (h zapHandler) WithGroup(name string) slog.Handler {
	if name == "" {
		return h
	}
	return zapHandler{log: h.log, fields: h.fields, prefix: h.prefix + name + "."}
}

// appendAttr appends attr as zap fields, flattening groups into dotted keys.
func appendAttr(fields []zap.Field, prefix string, attr slog.Attr) []zap.Field {
	value := attr.Value.Resolve()
	if attr.Equal(slog.Attr{}) {
		return fields
	}
	key := prefix + attr.Key

	switch value.Kind() {
	case slog.KindGroup:
		groupPrefix := prefix
		if attr.Key != "" {
			groupPrefix = key + "."
		}
		for _, member := range value.Group() {
			fields = appendAttr(fields, groupPrefix, member)
		}
		return fields
	case slog.KindString:
		return append(fields, zap.String(key, value.String()))
	case slog.KindInt64:
		return append(fields, zap.Int64(key, value.Int64()))
	case slog.KindUint64:
		return append(fields, zap.Uint64(key, value.Uint64()))
	case slog.KindFloat64:
		return append(fields, zap.Float64(key, value.Float64()))
	case slog.KindBool:
		return append(fields, zap.Bool(key, value.Bool()))
	case slog.KindDuration:
		return append(fields, zap.Duration(key, value.Duration()))
	case slog.KindTime:
		return append(fields, zap.Time(key, value.Time()))
	default:
		return append(fields, zap.Any(key, value.Any()))
	}
}

// zapLevel maps a slog level to the zap level at or below it.
func zapLevel(level slog.Level) zapcore.Level {
	switch {
	case level >= slog.LevelError:
		return zapcore.ErrorLevel
	case level >= slog.LevelWarn:
		return zapcore.WarnLevel
	case level >= slog.LevelInfo:
		return zapcore.InfoLevel
	default:
		return zapcore.DebugLevel
	}
}
