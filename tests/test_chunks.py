"""Section paths and chunk offsets."""
from rag.chunk import chunk_plans
from rag.config import ChunkSettings
from rag.sections import split_sections, top_level


def test_section_path_of_nested_item(plans):
    paths = [s.path for s in split_sections(plans["nanchang"].text)]
    assert "二、重点任务 > (四)促进能源绿色低碳转型发展 > 2.大力发展新能源" in paths
    assert "一、总体要求 > (三)主要目标" in paths


def test_special_column_is_a_section(plans):
    paths = [s.path for s in split_sections(plans["jiangyin"].text)]
    assert any(p.endswith("专栏1战略性新兴产业壮大行动") for p in paths)


def test_sections_tile_the_text(plans):
    for plan in plans.values():
        sections = split_sections(plan.text)
        assert sections[0].start == 0 and sections[-1].end == len(plan.text)
        assert all(a.end == b.start for a, b in zip(sections, sections[1:]))


def test_chunk_offsets_map_back_exactly(plans):
    chunks = chunk_plans(list(plans.values()), ChunkSettings())
    assert len(chunks) > 200
    for chunk in chunks:
        assert plans[chunk.plan_id].text[chunk.char_start : chunk.char_end] == chunk.text
        assert len(chunk.text) <= ChunkSettings().size


def test_chunks_never_cross_top_level_sections(plans):
    for chunk in chunk_plans(list(plans.values()), ChunkSettings()):
        sections = split_sections(plans[chunk.plan_id].text)
        tops = {top_level(s.path) for s in sections if s.start < chunk.char_end and chunk.char_start < s.end}
        assert len(tops) == 1, chunk
