/** A set-up plugin: its hooks plus what it registered during `setup`. */
import type { Hono } from "hono";
import type { RequestContext } from "../http/request-context.ts";
import type { Logger, LogOutput } from "../log.ts";
import type { ResolvedPlugin } from "./load.ts";
import { PluginError } from "./plugin-error.ts";
import type { Credential, CredentialTypeHandler, PluginHooks, ProviderAdapter, SetupContext, Slot } from "./types.ts";

export interface RegisteredProvider {
  readonly plugin: string;
  readonly adapter: ProviderAdapter;
  readonly credentials: readonly Credential[];
}

export interface RegisteredCredentialType {
  readonly plugin: string;
  readonly type: string;
  readonly handler: CredentialTypeHandler;
}

export interface Mount {
  readonly plugin: string;
  /** Normalised: starts with `/`, no trailing `/`. */
  readonly prefix: string;
  readonly app: Hono;
}

export class PluginInstance {
  readonly name: string;
  readonly resolved: ResolvedPlugin;
  readonly hooks: PluginHooks | null;
  readonly log: Logger;
  readonly providers: readonly RegisteredProvider[];
  readonly mounts: readonly Mount[];
  readonly credentialTypes: readonly RegisteredCredentialType[];
  readonly #controller: AbortController;
  #disposed = false;

  private constructor(
    resolved: ResolvedPlugin,
    hooks: PluginHooks | null,
    log: Logger,
    providers: RegisteredProvider[],
    mounts: Mount[],
    credentialTypes: RegisteredCredentialType[],
    controller: AbortController,
  ) {
    this.name = resolved.definition.name;
    this.resolved = resolved;
    this.hooks = hooks;
    this.log = log;
    this.providers = providers;
    this.mounts = mounts;
    this.credentialTypes = credentialTypes;
    this.#controller = controller;
  }

  static async setup(
    resolved: ResolvedPlugin,
    env: { log: Logger; configDir: string; logOutput?: LogOutput },
  ): Promise<PluginInstance> {
    const def = resolved.definition;
    const log = env.log.child(def.name);
    const controller = new AbortController();
    const providers: RegisteredProvider[] = [];
    const mounts: Mount[] = [];
    const credentialTypes: RegisteredCredentialType[] = [];
    let open = true;
    const closed = (what: string) =>
      new PluginError("SWITCHYARD_ERR_PLUGIN_SETUP", def.name, `${what} must be called during setup`);

    const ctx: SetupContext<unknown> = {
      options: resolved.options,
      log,
      signal: controller.signal,
      configDir: env.configDir,
      registerProvider(adapter, credentials) {
        if (!open) throw closed("registerProvider");
        for (const c of credentials) {
          if (c.provider !== adapter.id) {
            throw new PluginError(
              "SWITCHYARD_ERR_PLUGIN_SETUP",
              def.name,
              `Credential ${c.id} names provider "${c.provider}" but is registered with adapter "${adapter.id}"`,
            );
          }
        }
        providers.push(
          Object.freeze({
            plugin: def.name,
            adapter: adapter as ProviderAdapter,
            credentials: Object.freeze([...credentials]) as readonly Credential[],
          }),
        );
      },
      registerCredentialType(type, handler) {
        if (!open) throw closed("registerCredentialType");
        const t = type.trim().toLowerCase();
        if (!t) throw new PluginError("SWITCHYARD_ERR_PLUGIN_SETUP", def.name, "registerCredentialType needs a type");
        credentialTypes.push(Object.freeze({ plugin: def.name, type: t, handler: handler as CredentialTypeHandler }));
      },
      mount(prefix, app) {
        if (!open) throw closed("mount");
        const normalised = "/" + prefix.replace(/^\/+|\/+$/g, "");
        mounts.push(Object.freeze({ plugin: def.name, prefix: normalised, app }));
      },
      addLogSink(sink) {
        if (!env.logOutput) return () => false;
        const remove = env.logOutput.addSink(sink);
        controller.signal.addEventListener("abort", () => remove(), { once: true });
        return remove;
      },
      slot<T>(key: string): Slot<T> {
        const k = `${def.name}:${key}`;
        return {
          get: (rc: RequestContext) => rc.getSlot(k) as T | undefined,
          set: (rc: RequestContext, value: T) => rc.setSlot(k, value),
        };
      },
    };

    let hooks: PluginHooks | null;
    try {
      hooks = (await def.setup(ctx)) ?? null;
    } catch (err) {
      controller.abort();
      if (err instanceof PluginError) throw err;
      const message = err instanceof Error ? err.message : String(err);
      throw new PluginError("SWITCHYARD_ERR_PLUGIN_SETUP", def.name, `setup failed: ${message}`, { cause: err });
    } finally {
      open = false;
    }
    return new PluginInstance(resolved, hooks, log, providers, mounts, credentialTypes, controller);
  }

  /**
   * The same live plugin (hooks, registrations, signal) with new options: used on reload for plugins that implement
   * `onConfigChange`, so their state survives.
   */
  withOptions(resolved: ResolvedPlugin): PluginInstance {
    return new PluginInstance(
      resolved,
      this.hooks,
      this.log,
      this.providers as RegisteredProvider[],
      this.mounts as Mount[],
      this.credentialTypes as RegisteredCredentialType[],
      this.#controller,
    );
  }

  /** Aborts the plugin's signal and calls its `dispose`. Safe to call twice. Errors are logged, not thrown. */
  async dispose(): Promise<void> {
    if (this.#disposed) return;
    this.#disposed = true;
    this.#controller.abort();
    try {
      await this.hooks?.dispose?.();
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      this.log.error(`dispose failed: ${message}`);
    }
  }
}
