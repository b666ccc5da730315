package cli

import (
	"io"
	"os"

	"github.com/sirupsen/logrus"
)

// newLogger returns a logrus logger writing to w: JSON when format is "json",
// or "auto" and w is not a terminal (a daemon under a service manager);
// text otherwise.
func newLogger(w io.Writer, level, format string, terminal bool) (*logrus.Logger, error) {
	log := logrus.New()
	log.SetOutput(w)
	lvl, err := logrus.ParseLevel(level)
	if err != nil {
		return nil, usageErrorf("--log-level: %q is not one of trace, debug, info, warn, error", level)
	}
	log.SetLevel(lvl)
	if format == "json" || (format != "text" && !terminal) {
		log.SetFormatter(&logrus.JSONFormatter{})
	} else {
		log.SetFormatter(&logrus.TextFormatter{FullTimestamp: true})
	}
	return log, nil
}

// isTerminal reports whether w is a character device such as a terminal.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}
