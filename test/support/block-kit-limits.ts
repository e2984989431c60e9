/**
 * Every Block Kit limit a surface breaks (docs/slack.md), as readable problems; [] when Slack
 * would accept it as far as these limits go. Walks modals, Home tabs and messages
 * (`{ text?, blocks }` or a bare blocks array). Also flags empty text objects, duplicate block
 * ids, duplicate action ids within a block and a modal with inputs but no submit button, which
 * Slack rejects too.
 */

type Obj = Record<string, unknown>;

const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);

class Checker {
  readonly problems: string[] = [];

  add(path: string, message: string): void {
    this.problems.push(`${path}: ${message}`);
  }

  max(path: string, value: unknown, limit: number, what: string): void {
    if (typeof value === "string" && value.length > limit) {
      this.add(path, `${what} is ${value.length} characters (max ${limit})`);
    }
  }

  /** A text object: plain_text or mrkdwn, non-empty, at most `limit` characters. */
  text(
    path: string,
    t: unknown,
    limit: number,
    kinds: ("plain_text" | "mrkdwn")[] = ["plain_text", "mrkdwn"],
  ): void {
    if (t === undefined) return;
    if (!isObj(t)) {
      this.add(path, "text object is not an object");
      return;
    }
    if (!kinds.includes(t.type as "plain_text")) {
      this.add(path, `text type ${String(t.type)} (expected ${kinds.join(" or ")})`);
      return;
    }
    if (typeof t.text !== "string" || t.text.length === 0) {
      this.add(path, "text is empty");
      return;
    }
    this.max(path, t.text, limit, "text");
  }

  id(path: string, value: unknown, what: string): void {
    this.max(path, value, 255, what);
  }

  confirm(path: string, c: unknown): void {
    if (c === undefined) return;
    if (!isObj(c)) {
      this.add(path, "confirm is not an object");
      return;
    }
    this.text(`${path}.title`, c.title, 100, ["plain_text"]);
    this.text(`${path}.text`, c.text, 300);
    this.text(`${path}.confirm`, c.confirm, 30, ["plain_text"]);
    this.text(`${path}.deny`, c.deny, 30, ["plain_text"]);
  }

  option(path: string, o: unknown, plainOnly: boolean): void {
    if (!isObj(o)) {
      this.add(path, "option is not an object");
      return;
    }
    this.text(`${path}.text`, o.text, 75, plainOnly ? ["plain_text"] : ["plain_text", "mrkdwn"]);
    this.text(`${path}.description`, o.description, 75);
    if (typeof o.value !== "string") this.add(path, "option has no value");
    this.max(path, o.value, 150, "option value");
  }

  options(path: string, list: unknown, limit: number, plainOnly: boolean): void {
    if (list === undefined) return;
    if (!Array.isArray(list)) {
      this.add(path, "options is not an array");
      return;
    }
    if (list.length > limit) this.add(path, `${list.length} options (max ${limit})`);
    for (const [i, o] of list.entries()) this.option(`${path}[${i}]`, o, plainOnly);
  }

  element(path: string, e: unknown): void {
    if (!isObj(e)) {
      this.add(path, "element is not an object");
      return;
    }
    this.id(`${path}.action_id`, e.action_id, "action_id");
    this.confirm(`${path}.confirm`, e.confirm);
    this.text(`${path}.placeholder`, e.placeholder, 150, ["plain_text"]);
    switch (e.type) {
      case "button":
        this.text(`${path}.text`, e.text, 75, ["plain_text"]);
        this.max(path, e.value, 2000, "button value");
        this.max(path, e.url, 3000, "button url");
        break;
      case "static_select":
      case "multi_static_select": {
        this.options(`${path}.options`, e.options, 100, true);
        if (Array.isArray(e.option_groups)) {
          if (e.option_groups.length > 100)
            this.add(path, `${e.option_groups.length} option groups (max 100)`);
          e.option_groups.forEach((g, i) => {
            if (!isObj(g)) return;
            this.text(`${path}.option_groups[${i}].label`, g.label, 75, ["plain_text"]);
            this.options(`${path}.option_groups[${i}].options`, g.options, 100, true);
          });
        }
        if (!Array.isArray(e.options) && !Array.isArray(e.option_groups))
          this.add(path, "select without options");
        if (Array.isArray(e.options) && e.options.length === 0) this.add(path, "select with no options");
        if (e.initial_option !== undefined) this.option(`${path}.initial_option`, e.initial_option, true);
        if (Array.isArray(e.initial_options))
          for (const [i, o] of e.initial_options.entries())
            this.option(`${path}.initial_options[${i}]`, o, true);
        break;
      }
      case "external_select":
      case "multi_external_select":
        if (e.initial_option !== undefined) this.option(`${path}.initial_option`, e.initial_option, true);
        break;
      case "checkboxes":
      case "radio_buttons":
        this.options(`${path}.options`, e.options, 10, false);
        if (Array.isArray(e.options) && e.options.length === 0) this.add(path, `${e.type} with no options`);
        if (e.initial_option !== undefined) this.option(`${path}.initial_option`, e.initial_option, false);
        if (Array.isArray(e.initial_options))
          for (const [i, o] of e.initial_options.entries())
            this.option(`${path}.initial_options[${i}]`, o, false);
        break;
      case "overflow":
        this.options(`${path}.options`, e.options, 5, true);
        break;
      case "plain_text_input": {
        const maxLength = typeof e.max_length === "number" ? e.max_length : 3000;
        if (maxLength > 3000) this.add(path, `max_length ${maxLength} (max 3000)`);
        this.max(path, e.initial_value, Math.min(maxLength, 3000), "initial_value");
        break;
      }
      case "image":
        this.max(path, e.alt_text, 2000, "alt_text");
        break;
      default:
        break;
    }
  }

  block(path: string, b: unknown, blockIds: Set<string>): boolean {
    if (!isObj(b)) {
      this.add(path, "block is not an object");
      return false;
    }
    this.id(`${path}.block_id`, b.block_id, "block_id");
    if (typeof b.block_id === "string") {
      if (blockIds.has(b.block_id)) this.add(path, `duplicate block_id ${b.block_id}`);
      blockIds.add(b.block_id);
    }
    switch (b.type) {
      case "section": {
        if (b.text === undefined && b.fields === undefined) this.add(path, "section without text or fields");
        this.text(`${path}.text`, b.text, 3000);
        if (b.fields !== undefined) {
          if (!Array.isArray(b.fields)) this.add(path, "fields is not an array");
          else {
            if (b.fields.length > 10) this.add(path, `${b.fields.length} fields (max 10)`);
            for (const [i, f] of b.fields.entries()) this.text(`${path}.fields[${i}]`, f, 2000);
          }
        }
        if (b.accessory !== undefined) this.element(`${path}.accessory`, b.accessory);
        break;
      }
      case "header":
        this.text(`${path}.text`, b.text, 150, ["plain_text"]);
        break;
      case "context": {
        if (!Array.isArray(b.elements)) {
          this.add(path, "context without elements");
          break;
        }
        if (b.elements.length > 10) this.add(path, `${b.elements.length} context elements (max 10)`);
        if (b.elements.length === 0) this.add(path, "context with no elements");
        b.elements.forEach((el, i) => {
          if (isObj(el) && (el.type === "plain_text" || el.type === "mrkdwn"))
            this.text(`${path}.elements[${i}]`, el, 3000);
        });
        break;
      }
      case "actions": {
        if (!Array.isArray(b.elements)) {
          this.add(path, "actions without elements");
          break;
        }
        if (b.elements.length > 25) this.add(path, `${b.elements.length} action elements (max 25)`);
        if (b.elements.length === 0) this.add(path, "actions with no elements");
        const actionIds = new Set<string>();
        b.elements.forEach((el, i) => {
          this.element(`${path}.elements[${i}]`, el);
          const id = isObj(el) ? el.action_id : undefined;
          if (typeof id === "string") {
            if (actionIds.has(id)) this.add(path, `duplicate action_id ${id} in one block`);
            actionIds.add(id);
          }
        });
        break;
      }
      case "input":
        this.text(`${path}.label`, b.label, 2000, ["plain_text"]);
        this.text(`${path}.hint`, b.hint, 2000, ["plain_text"]);
        if (!isObj(b.element)) this.add(path, "input without element");
        else this.element(`${path}.element`, b.element);
        return true;
      case "divider":
        break;
      case "image":
        this.max(path, b.alt_text, 2000, "alt_text");
        this.text(`${path}.title`, b.title, 2000, ["plain_text"]);
        break;
      default:
        if (typeof b.type !== "string") this.add(path, "block without type");
        break;
    }
    return false;
  }

  blocks(path: string, blocks: unknown, limit: number): boolean {
    if (!Array.isArray(blocks)) {
      this.add(path, "blocks is not an array");
      return false;
    }
    if (blocks.length > limit) this.add(path, `${blocks.length} blocks (max ${limit})`);
    const ids = new Set<string>();
    let hasInput = false;
    blocks.forEach((b, i) => {
      if (this.block(`${path}[${i}]`, b, ids)) hasInput = true;
    });
    return hasInput;
  }
}

export function blockKitProblems(surface: unknown, kind: "modal" | "home" | "message"): string[] {
  const c = new Checker();
  if (kind === "message") {
    if (Array.isArray(surface)) {
      c.blocks("blocks", surface, 50);
      return c.problems;
    }
    if (!isObj(surface)) return ["message is not an object"];
    c.max("text", surface.text, 40_000, "message text");
    if (surface.blocks === undefined && typeof surface.text !== "string")
      c.add("message", "neither text nor blocks");
    if (surface.blocks !== undefined) c.blocks("blocks", surface.blocks, 50);
    return c.problems;
  }
  if (!isObj(surface)) return [`${kind} is not an object`];
  if (surface.type !== kind) c.add("type", `type ${String(surface.type)} (expected ${kind})`);
  c.id("callback_id", surface.callback_id, "callback_id");
  c.id("external_id", surface.external_id, "external_id");
  c.max("private_metadata", surface.private_metadata, 3000, "private_metadata");
  const hasInput = c.blocks("blocks", surface.blocks, 100);
  if (kind === "modal") {
    if (surface.title === undefined) c.add("title", "modal without title");
    c.text("title", surface.title, 24, ["plain_text"]);
    c.text("submit", surface.submit, 24, ["plain_text"]);
    c.text("close", surface.close, 24, ["plain_text"]);
    if (hasInput && surface.submit === undefined)
      c.add("submit", "modal with input blocks needs a submit button");
  }
  return c.problems;
}

/** The options answer to an external select's options request: at most 100, text 75, value 150. */
export function optionsProblems(options: unknown): string[] {
  const c = new Checker();
  c.options("options", options, 100, true);
  return c.problems;
}

/**
 * Every string Slack parses as mrkdwn in a surface: mrkdwn text objects and a message's `text`
 * fallback. Assert that none holds a raw `<!channel>` or `<@U…>` from user data. plain_text is
 * never parsed for mentions, so user data appears there as typed.
 */
export function mrkdwnTexts(surface: unknown): string[] {
  const out: string[] = [];
  const walk = (v: unknown, key: string | null): void => {
    if (Array.isArray(v)) {
      for (const x of v) walk(x, null);
      return;
    }
    if (!isObj(v)) return;
    if (v.type === "mrkdwn" && typeof v.text === "string") out.push(v.text);
    for (const [k, x] of Object.entries(v)) {
      if (key === null && k === "text" && typeof x === "string" && Array.isArray(v.blocks)) out.push(x);
      walk(x, k);
    }
  };
  walk(surface, null);
  return out;
}
