"""The front-end-neutral pacing of streamed drafts: one turn a second per place, shared by its answers."""

from __future__ import annotations

import asyncio
import time

from bot.pacing import Draft, Pacer


async def test_turns_in_one_place_are_a_second_apart_and_other_places_do_not_wait() -> None:
    pacer, started = Pacer(every=0.3), time.monotonic()
    done: dict[str, list[float]] = {"a": [], "b": []}

    async def take(key: str) -> None:
        await pacer.turn(key)
        done[key].append(time.monotonic() - started)

    await asyncio.gather(take("a"), take("a"), take("a"), take("b"))
    assert [round(t, 1) for t in done["a"]] == [0.0, 0.3, 0.6] and done["b"][0] < 0.1


async def test_a_draft_coalesces_tokens_and_finish_waits_for_the_next_turn() -> None:
    shows: list[tuple[float, str]] = []
    started = time.monotonic()

    async def show(text: str) -> bool:
        shows.append((time.monotonic() - started, text))
        return True

    draft = Draft(Pacer(every=0.3), "place", show)
    for token in ["one ", "two ", "three"]:
        draft.on_token(token)
    await asyncio.sleep(0.05)
    draft.on_token(" four")
    assert await draft.finish()
    assert [text for _, text in shows] == ["one two three", "one two three four"]
    assert time.monotonic() - started >= 0.6  # the final message waits its own turn
