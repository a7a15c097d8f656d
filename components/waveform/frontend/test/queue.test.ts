import { describe, expect, it } from "vitest";
import { TaskQueue } from "../src/queue";

const item = (id: string) => ({ task_id: id, title: `t${id}` });
const none = { regions: [], transcript: null, spans: null };

describe("TaskQueue", () => {
  it("shows the first task offered and keeps it on screen when a new list arrives", () => {
    const q = new TaskQueue();
    expect(q.offer([item("1"), item("2"), item("3")])).toBe(true);
    expect(q.current?.task_id).toBe("1");
    expect(q.next.map((t) => t.task_id)).toEqual(["2", "3"]);
    expect(q.offer([item("2"), item("1"), item("4")])).toBe(false);
    expect(q.current?.task_id).toBe("1");
    expect(q.next.map((t) => t.task_id)).toEqual(["2", "4"]);
  });

  it("moves on at once and leaves answered tasks out of later lists", () => {
    const q = new TaskQueue();
    q.offer([item("1"), item("2"), item("3")]);
    expect(q.answer("accept", none)?.task_id).toBe("2");
    expect(q.answer("reject", none)?.task_id).toBe("3");
    // Python has not seen these answers yet: its list still holds 1 and 2
    q.offer([item("1"), item("2"), item("3"), item("4")]);
    expect(q.current?.task_id).toBe("3");
    expect(q.next.map((t) => t.task_id)).toEqual(["4"]);
    expect(q.answer("ignore", none)?.task_id).toBe("4");
    expect(q.answer("accept", none)).toBeNull();
    expect(q.current).toBeNull();
    expect(q.answer("accept", none)).toBeNull();   // nothing on screen: no answer
    expect(q.answeredCount).toBe(4);
  });

  it("fills an empty screen from the next list", () => {
    const q = new TaskQueue();
    q.offer([item("1")]);
    q.answer("accept", none);
    expect(q.current).toBeNull();
    expect(q.offer([item("1"), item("5")])).toBe(true);
    expect(q.current?.task_id).toBe("5");
  });

  it("undo reopens the last answered task with its edits; the task on screen waits at the front", () => {
    const q = new TaskQueue();
    q.offer([item("1"), item("2"), item("3")]);
    const edits = { regions: [{ id: "r" }], transcript: "hello", spans: [] };
    q.answer("accept", edits);
    q.answer("reject", none);
    const back = q.undo();
    expect(back?.item.task_id).toBe("2");
    expect(back?.answer).toBe("reject");
    expect(q.current?.task_id).toBe("2");
    expect(q.reopened?.answer).toBe("reject");
    expect(q.next.map((t) => t.task_id)).toEqual(["3"]);
    // undo again: 2 keeps its answer and leaves; 1 comes back with its edits
    const first = q.undo();
    expect(first?.item.task_id).toBe("1");
    expect(first?.edits).toEqual(edits);
    expect(q.next.map((t) => t.task_id)).toEqual(["3"]);
    // answering the reopened task moves on to the one that was waiting
    expect(q.answer("ignore", none)?.task_id).toBe("3");
    expect(q.reopened).toBeNull();
    expect(q.undo()?.item.task_id).toBe("1");
  });

  it("undo with nothing answered in this tab reopens the session's last committed answer, once", () => {
    const q = new TaskQueue();
    q.offer([item("4")]);
    expect(q.canUndo()).toBe(false);
    expect(q.undo()).toBeNull();
    q.offerPrevious(item("3"), "accept", { regions: [{ id: "x" }], transcript: null, spans: null });
    expect(q.canUndo()).toBe(true);
    const back = q.undo();
    expect(back?.item.task_id).toBe("3");
    expect(back?.edits.regions).toEqual([{ id: "x" }]);
    expect(q.next.map((t) => t.task_id)).toEqual(["4"]);
    expect(q.undo()).toBeNull();
  });

  it("caps the history it keeps", () => {
    const q = new TaskQueue(2);
    q.offer([item("1"), item("2"), item("3"), item("4")]);
    q.answer("accept", none);
    q.answer("accept", none);
    q.answer("accept", none);
    expect(q.undo()?.item.task_id).toBe("3");
    expect(q.undo()?.item.task_id).toBe("2");
    expect(q.undo()).toBeNull();
  });
});
