import { closeSync, fstatSync, openSync, readSync, rmSync, writeSync } from "node:fs";

/**
 * A rotated log file may pass `maxSize` by at most this much: a log a little
 * over the limit (the writes since the last check) rotates as one file
 * instead of a full one and a crumb. Larger logs (a burst) are cut into
 * pieces of at most `maxSize`.
 */
export const ROTATE_SLACK_BYTES = 64 * 1024;

/** How many times the copy catches up with writes that arrived while it copied, before it stops. */
const CATCH_UP_PASSES = 3;

const CHUNK = 64 * 1024;

/**
 * Copies the log open on `fd` (from its start to its end, including what is
 * appended meanwhile) into pieces `${path}.piece-<n>`, oldest first, each at
 * most `maxSize` bytes (the last may take ROTATE_SLACK_BYTES more when that
 * saves a piece) and cut after a newline when one is within the last chunk.
 * Keeps only the newest `keep` pieces on disk as it goes (so a huge burst
 * never needs more than `keep + 1` pieces of space). Returns the kept pieces'
 * paths, oldest first, and how many bytes were copied.
 *
 * @example
 * const { pieces } = copyInPieces(fd, "/srv/app/.slipway/logs/3/r3-1.log", 1_048_576, 3);
 */
export function copyInPieces(fd: number, path: string, maxSize: number, keep: number): { pieces: string[]; copied: number } {
  const buffer = Buffer.alloc(CHUNK);
  const pieces: string[] = [];
  let out = -1;
  let pieceSize = 0;
  let capacity = 0;
  let position = 0;
  let known = fstatSync(fd).size;
  const startPiece = (remaining: number) => {
    if (out >= 0) closeSync(out);
    const piece = `${path}.piece-${pieces.length + 1}`;
    out = openSync(piece, "w");
    pieces.push(piece);
    if (pieces.length > keep) rmSync(pieces[pieces.length - keep - 1]!, { force: true });
    pieceSize = 0;
    capacity = remaining <= maxSize + ROTATE_SLACK_BYTES ? maxSize + ROTATE_SLACK_BYTES : maxSize;
  };
  try {
    startPiece(known);
    for (let pass = 0; pass <= CATCH_UP_PASSES && position < known; pass++) {
      while (position < known) {
        const bytesRead = readSync(fd, buffer, 0, Math.min(CHUNK, known - position), position);
        if (bytesRead === 0) break;
        let chunk = buffer.subarray(0, bytesRead);
        position += bytesRead;
        while (chunk.length > 0) {
          const room = capacity - pieceSize;
          if (room <= 0) {
            startPiece(known - position + chunk.length);
            continue;
          }
          if (chunk.length <= room) {
            pieceSize += writeSync(out, chunk);
            break;
          }
          const newline = chunk.lastIndexOf(0x0a, room - 1);
          const cut = newline >= 0 ? newline + 1 : room;
          writeSync(out, chunk.subarray(0, cut));
          chunk = chunk.subarray(cut);
          startPiece(known - position + chunk.length);
        }
      }
      known = fstatSync(fd).size;
    }
  } finally {
    if (out >= 0) closeSync(out);
  }
  return { pieces: pieces.slice(-keep), copied: position };
}
