/**
 * Options of the plugin: the `openai-compatibility` list, validated with the same schema as the config file so options
 * given explicitly under `plugins:` get the same checks and defaults.
 */
import { z } from "zod";
import { configSchema } from "../../core/config/schema.ts";

export const openAICompatibleOptions = z.object({
  "openai-compatibility": configSchema.shape["openai-compatibility"],
});
