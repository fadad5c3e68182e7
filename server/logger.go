package server

import (
	"io"
	"log/slog"
	"os"

	"github.com/spa-project/spa/server/config"
)

// newLogger returns the structured logger the configuration asks for.
func newLogger(w io.Writer, s config.Server) *slog.Logger {
	if w == nil {
		w = os.Stderr
	}
	level := slog.LevelInfo
	switch s.LogLevel {
	case "debug":
		level = slog.LevelDebug
	case "warn":
		level = slog.LevelWarn
	case "error":
		level = slog.LevelError
	}
	o := &slog.HandlerOptions{Level: level}
	if s.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, o))
	}
	return slog.New(slog.NewTextHandler(w, o))
}
