/** Switchyard's own version (the CLI's `--version`, log headers, the management API). */
export const VERSION = "0.1.0";
