"""What people type, and what is said back to them: typed text cleaned of invisible controls, a question
as it is asked, echoed input clipped, file names kept inside their folder, an answer or a refusal as the
record `rag ask --json` prints and /ask returns, command-line usage errors in Chinese. Used by the command
line and the web app."""
from __future__ import annotations

import argparse
import os
import re
import sys
import unicodedata
from typing import Callable

# How much of what a user typed is repeated back in an error message.
ECHO_CHARS = 30
INTERNAL_ERROR = "服务器内部错误，请稍后重试。"

# Bidirectional controls (they can reverse how a question is displayed) and other invisible format characters.
BIDI_CONTROLS = re.compile("[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\u200b\ufeff]")
CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def clean_input(text: str | None) -> str:
    """What the user typed, with bidi/format controls and control characters removed, trimmed."""
    return CONTROL_CHARS.sub("", BIDI_CONTROLS.sub("", text or "")).strip()


def question_text(text: str | None) -> str:
    """A question as it is asked and counted: cleaned, every run of spaces and line breaks one space."""
    return re.sub(r"\s+", " ", clean_input(text))


def answer_record(answer) -> dict:
    """An answer as `rag ask --json` prints it and /ask returns it: Answer.to_dict(), with the sentence
    for the user always in `answer` — a refusal's reason too, which the answer stage keeps in `note` —,
    plus `notice` (a place selector not applied) and `index_notice` (the index is older than the corpus)
    when there is one."""
    record = answer.to_dict()
    if not record["answer"]:
        record["answer"] = record["note"]
    return record | {key: value for key, value in (("notice", answer.notice), ("index_notice", answer.index_notice)) if value}


def refusal_record(question, message: str) -> dict:
    """A question refused before any search (empty, too long, unknown place) in the same shape, plus `error`."""
    return {"question": "" if question is None else str(question), "answer": message, "found": False, "mode": "none",
            "type": "", "understood": "", "passages": [], "targets": [], "highlight": [], "note": message, "error": message}


def clip(text: str, limit: int = ECHO_CHARS) -> str:
    """`text` cut to `limit` characters (with …), for repeating user input back safely."""
    text = str(text)
    return text if len(text) <= limit else text[:limit] + "…"


NAME_CHARS = 80
UNSAFE_NAME = re.compile(r'[\\/:*?"<>|\x00-\x1f\x7f]')


def safe_name(name: str) -> str:
    """A plan file name that stays inside the corpus folder: no folders, no control or bidi characters,
    no leading dot (hidden files are not plans), the extension lower-cased, at most NAME_CHARS characters."""
    name = unicodedata.normalize("NFC", str(name or ""))
    name = BIDI_CONTROLS.sub("", name).replace("\\", "/").rsplit("/", 1)[-1]
    name = UNSAFE_NAME.sub("_", name).strip(" .")
    stem, dot, suffix = name.rpartition(".")
    if not dot:
        stem, suffix = name, ""
    stem = stem.strip(" .")[:NAME_CHARS] or "方案"
    return f"{stem}.{suffix.lower()}" if suffix else stem


def one_line(text: str, limit: int = 300) -> str:
    """A message as one line of bounded length: it may repeat what the user typed."""
    return clip(re.sub(r"\s+", " ", text).strip(), limit)


# argparse's own messages, in Chinese; anything else is quoted inside a Chinese sentence
ARGPARSE_MESSAGES = (
    (r"argument (\S+): invalid int value: (.*)", r"参数 \1 应是整数，收到 \2"),
    (r"argument (\S+): invalid choice: (\S+) .*", r"没有这个命令或取值：\2（\1）"),
    (r"argument (\S+): expected one argument", r"参数 \1 缺少取值"),
    (r"argument (\S+): not allowed with argument (\S+)", r"参数 \1 不能与 \2 同时使用"),
    (r"argument (\S+): (.*)", r"参数 \1：\2"),
    (r"the following arguments are required: (.*)", r"缺少参数：\1"),
    (r"unrecognized arguments: (.*)", r"不认识的参数：\1"),
)


def run_command(run: Callable[[], int]) -> int:
    """The exit status of a command (`rag …`, `rag serve`): what `run` returns, or — for what went wrong —
    one Chinese line on stderr instead of a traceback (RAG_DEBUG=1 shows a bug's traceback)."""
    from .errors import UserError, os_reason

    try:
        return run()
    except UserError as error:
        print(f"错误：{one_line(str(error))}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("已中断。", file=sys.stderr)
        return 130
    except BrokenPipeError:  # `rag ask … | head`: the reader has gone, nothing more to say
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except OSError as exc:  # the environment: a path of the wrong kind, no permission, a full disk
        where = f"：{exc.filename}" if exc.filename else ""
        print(f"错误：文件操作失败{one_line(str(where), 200)}（{os_reason(exc)}）。请检查路径、权限和磁盘空间", file=sys.stderr)
        return 2
    except MemoryError:
        print("错误：内存不足，操作未完成。请关闭其他程序或调小 RAG_MAX_FILE_MB 等上限后重试", file=sys.stderr)
        return 2
    except Exception as exc:  # a bug: one line, not a traceback, unless asked for
        if os.environ.get("RAG_DEBUG"):
            raise
        print(f"错误：程序内部错误（{exc.__class__.__name__}），操作未完成；设置 RAG_DEBUG=1 可查看详细信息", file=sys.stderr)
        return 3


class ChineseParser(argparse.ArgumentParser):
    """Usage errors as one Chinese line on stderr and exit status 2, like every other user error."""

    def error(self, message: str):
        for pattern, chinese in ARGPARSE_MESSAGES:
            if re.fullmatch(pattern, message, flags=re.S):
                message = re.sub(pattern, chinese, message, flags=re.S)
                break
        else:
            message = f"命令行参数有误（{message}）"
        self.exit(2, f"错误：{one_line(message)}。用法见 {self.prog} --help\n")
