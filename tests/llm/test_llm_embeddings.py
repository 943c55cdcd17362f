"""all-MiniLM-L6-v2 run with numpy: embeddings, intent classification with LLM fallback, FAQ cache."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from hvac_agent.config import BusinessProfile
from hvac_agent.dialogue import scripts
from hvac_agent.dialogue.agent import RulesAgent
from hvac_agent.dialogue.context import DialogueContext, nlu_context
from hvac_agent.dialogue.intent_embed import CachingEmbedder, FaqCache, IntentClassifier
from hvac_agent.dialogue.llm_agent import LlmAgent
from hvac_agent.dialogue.nlu import understand
from hvac_agent.dialogue.state import CallState
from hvac_agent.llm.client import LlmClient
from hvac_agent.llm.embeddings import MiniLmEmbedder
from tests.fakes.fake_openai import FakeOpenAI
from tests.llm.scenario import CallAt
from tests.llm.support import FAST_BUDGETS, MAIN, NOW, Brain


@pytest.fixture(scope="module")
def embedder(minilm_weights: None) -> MiniLmEmbedder:
    return MiniLmEmbedder()


@pytest.fixture(scope="module")
def classifier(embedder: MiniLmEmbedder) -> IntentClassifier:
    return IntentClassifier(CachingEmbedder(lambda: embedder))  # examples embedded once per module


def test_embeddings_are_unit_vectors_and_padding_changes_nothing(embedder: MiniLmEmbedder) -> None:
    short, long = "cancel my appointment", "my air conditioner has been blowing warm air since yesterday"
    batch = embedder.embed([short, long])
    assert batch.shape == (2, 384) and batch.dtype == np.float32
    assert np.allclose(np.linalg.norm(batch, axis=1), 1.0, atol=1e-5)
    alone = embedder.embed([short])[0]  # no padding when alone, padded in the batch
    assert np.allclose(alone, batch[0], atol=1e-5)


def test_paraphrases_are_closer_than_unrelated_sentences(embedder: MiniLmEmbedder) -> None:
    a, b, c = embedder.embed(
        ["please cancel my booking", "I need to cancel my appointment", "the furnace is making a banging noise"]
    )
    assert float(a @ b) > 0.5 > float(a @ c) + 0.3


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("I wanna cancel my appointment for tomorrow", "cancel"),
        ("could you move my visit to friday instead", "reschedule"),
        ("my furnace quit last night", "book"),
        ("get me a real human please", "human"),
        ("what days are you guys open", "question"),
        ("ok that's everything, bye", "goodbye"),
    ],
)
def test_intents_with_confidence(classifier: IntentClassifier, text: str, intent: str) -> None:
    guess = classifier.classify(text)
    assert (guess.intent, guess.source) == (intent, "embedding")
    assert guess.confidence >= 0.7, guess


async def test_low_confidence_goes_to_the_llm(classifier: IntentClassifier) -> None:
    brain = Brain(intent_answer="Reschedule.")
    async with FakeOpenAI(brain) as fake:
        client = LlmClient(base_url=fake.base_url, api_key="k")
        agent = LlmAgent(client, model=MAIN, fast_model="small-model", rules=RulesAgent(), budgets=FAST_BUDGETS)
        weak = classifier.classify("purple elephants dancing")
        assert weak.confidence < 0.7
        guess = await classifier.aclassify("purple elephants dancing", agent.classify_with_llm)
        assert (guess.intent, guess.source) == ("reschedule", "llm")
        assert fake.requests[-1]["model"] == "small-model" and "tools" not in fake.requests[-1]
        sure = await classifier.aclassify("please cancel my appointment", agent.classify_with_llm)
        assert sure.source == "embedding" and len(fake.requests) == 1
        brain.intent_answer = "banana"  # nonsense from the model: keep the weak embedding guess
        assert (await classifier.aclassify("purple elephants dancing", agent.classify_with_llm)).source == "embedding"
        await client.aclose()


def test_faq_cache_answers_from_the_profile_above_the_threshold(embedder: MiniLmEmbedder) -> None:
    profile = BusinessProfile(dispatch_fee=79)
    faq = FaqCache(CachingEmbedder(lambda: embedder), profile)
    hours = faq.lookup("when are you guys open")
    assert hours is not None and hours.topic == "hours" and hours.answer == scripts.hours_answer(profile)
    fee = faq.lookup("how much do you charge to come out")
    assert fee is not None and fee.topic == "price" and "$79" in fee.answer
    assert faq.lookup("my dog ate the remote") is None
    faq.put("do you work on boilers", "question", "We service furnaces, heat pumps, boilers and AC.")  # type: ignore[arg-type]
    boilers = faq.lookup("do you guys fix boilers")
    assert boilers is not None and "boilers" in boilers.answer


def test_faq_cache_never_answers_words_carrying_caller_data(embedder: MiniLmEmbedder) -> None:
    faq = FaqCache(embedder, BusinessProfile())
    state = CallState(call_sid="CA-f", started_at=NOW)
    ctx = DialogueContext(profile=BusinessProfile(), now=NOW.astimezone(dt.UTC))
    for words in (
        "are you open on saturday, my number is 512 555 0123",
        "I'm Dana Kim, what are your hours",
        "what are your hours, I smell gas",
    ):
        u = understand(words, nlu_context(state, ctx))
        assert faq.lookup(words, u) is None, words


async def test_agent_answers_faq_without_the_model_and_asks_again(
    call_at: CallAt,
    embedder: MiniLmEmbedder,
    classifier: IntentClassifier,
    client: LlmClient,
    ctx: DialogueContext,
    fake_llm: FakeOpenAI,
) -> None:
    agent = LlmAgent(
        client,
        model=MAIN,
        fast_model=None,
        rules=RulesAgent(),
        budgets=FAST_BUDGETS,
        classifier=classifier,
        faq=FaqCache(embedder, ctx.profile),
    )
    call = await call_at("intent", agent=agent)
    reply = await call.say("what are your hours")
    assert fake_llm.requests == []
    assert reply.say.startswith(scripts.hours_answer(ctx.profile)) and reply.say.endswith("?")
    reply = await call.say("could you get me an actual person")  # classifier says human: code transfers
    assert fake_llm.requests == [] and reply.action == "transfer"


async def test_warm_up_loads_the_model_before_the_first_call(embedder: MiniLmEmbedder, client: LlmClient) -> None:
    loads: list[int] = []

    def load() -> MiniLmEmbedder:
        loads.append(1)
        return embedder

    shared = CachingEmbedder(load)
    agent = LlmAgent(
        client,
        model=MAIN,
        fast_model=None,
        rules=RulesAgent(),
        classifier=IntentClassifier(shared),
        faq=FaqCache(shared, BusinessProfile()),
    )
    await agent.warm_up()
    assert loads == [1]
    assert agent.faq is not None and agent.faq.lookup("when are you open") is not None
    assert loads == [1]
