import type { ContextBlock, KnownBlock, SectionBlock } from "@slack/types";
import { md, truncate } from "./mrkdwn.ts";

export const MODAL_MAX_BLOCKS = 100;
export const MESSAGE_MAX_BLOCKS = 50;
export const SECTION_TEXT_MAX = 3000;

export function section(text: string, blockId?: string): SectionBlock {
  return { type: "section", text: md(text), ...(blockId ? { block_id: blockId } : {}) };
}

export function context(text: string): ContextBlock {
  return { type: "context", elements: [md(text)] };
}

/**
 * Lines (already escaped mrkdwn) packed into as few sections as fit 3000 characters each, at
 * most `maxBlocks` sections; what does not fit is counted, not silently lost.
 */
export function linesToSections(
  lines: readonly string[],
  maxBlocks: number,
): { blocks: SectionBlock[]; omitted: number } {
  const blocks: SectionBlock[] = [];
  let current = "";
  let used = 0;
  for (const raw of lines) {
    const line = truncate(raw, SECTION_TEXT_MAX);
    if (current && current.length + 1 + line.length <= SECTION_TEXT_MAX) {
      current += `\n${line}`;
      used++;
      continue;
    }
    if (current) {
      if (blocks.length + 1 >= maxBlocks) break;
      blocks.push(section(current));
    }
    current = line;
    used++;
  }
  if (current && blocks.length < maxBlocks) blocks.push(section(current));
  else if (current) used--;
  return { blocks, omitted: lines.length - used };
}

/** The safety net under every builder: never more than `max` blocks, with a note (in the reader's words) when cut. */
export function fitBlocks(blocks: KnownBlock[], max: number, note: string): KnownBlock[] {
  if (blocks.length <= max) return blocks;
  return [...blocks.slice(0, max - 1), context(note)];
}
