/**
 * zod for the Lambda path: `zod/mini`, the same schemas and checks as classic zod without the chained
 * methods, whose every schema type reaches every other (classic zod costs ~80 KB of the bundle, mini ~30 KB).
 *
 * Classic zod loads its English messages on first use; mini loads no locale and reports "Invalid input"
 * for every built-in check. Loading the same English locale here keeps every message as classic gives it.
 */
import { en } from 'zod/locales';
import { config, globalConfig } from 'zod/v4/core';

if (!globalConfig.localeError) config(en());

export * from 'zod/mini';
