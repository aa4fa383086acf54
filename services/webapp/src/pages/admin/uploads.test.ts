import { expect, it } from "vitest";
import { contentDisposition, runPool, textImportType } from "./uploads";

it("names an upload with RFC 5987's filename*, whatever its characters", () => {
  expect(contentDisposition("cat.png")).toBe("attachment; filename*=UTF-8''cat.png");
  expect(contentDisposition("été (2).png")).toBe("attachment; filename*=UTF-8''%C3%A9t%C3%A9%20%282%29.png");
  expect(contentDisposition("it's*.jpg")).toBe("attachment; filename*=UTF-8''it%27s%2A.jpg");
  expect(contentDisposition('a"b;c.png')).toBe("attachment; filename*=UTF-8''a%22b%3Bc.png");
  expect(contentDisposition("猫🐈.png")).toBe("attachment; filename*=UTF-8''%E7%8C%AB%F0%9F%90%88.png");
});

it("tells JSON lines from CSV by the file's name, then its type", () => {
  expect(textImportType("texts.jsonl")).toBe("application/jsonl");
  expect(textImportType("TEXTS.NDJSON")).toBe("application/jsonl");
  expect(textImportType("texts.csv", "application/vnd.ms-excel")).toBe("text/csv");
  expect(textImportType("export", "text/csv; charset=utf-8")).toBe("text/csv");
  expect(textImportType("notes.txt", "text/plain")).toBeNull();
});

it("runs at most the limit at once, every item once, starting them in order", async () => {
  const started: number[] = [];
  let running = 0;
  let most = 0;
  await runPool([1, 2, 3, 4, 5, 6, 7], 3, async (item) => {
    started.push(item);
    running += 1;
    most = Math.max(most, running);
    await new Promise((resolve) => setTimeout(resolve, item % 3));
    running -= 1;
  });
  expect(started).toEqual([1, 2, 3, 4, 5, 6, 7]);
  expect(most).toBe(3);
  expect(running).toBe(0);
});

it("finishes at once for no items and never runs more lanes than items", async () => {
  let calls = 0;
  await runPool([], 3, async () => {
    calls += 1;
  });
  expect(calls).toBe(0);
  let most = 0;
  let running = 0;
  await runPool(["only"], 3, async () => {
    running += 1;
    most = Math.max(most, running);
    await Promise.resolve();
    running -= 1;
  });
  expect(most).toBe(1);
});
