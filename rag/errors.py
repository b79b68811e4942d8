"""The one exception type a user sees: a plain Chinese sentence, never a traceback."""


class UserError(Exception):
    """Bad input or an unusable index; `str(error)` tells the user what to do."""


class TooLong(UserError):
    """Input over one of the length limits (the JSON API answers it with HTTP 413)."""


class NotReady(UserError):
    """No index to answer from yet, or none that loads (the JSON API answers it with HTTP 503)."""


def os_reason(exc: OSError) -> str:
    """Why a file operation failed, in Chinese (the system's strerror is English)."""
    import errno

    reasons = {
        errno.EACCES: "没有权限", errno.EPERM: "没有权限", errno.ENOENT: "不存在", errno.EISDIR: "是一个目录",
        errno.ENOTDIR: "路径中有一段不是目录", errno.ELOOP: "符号链接循环", errno.EROFS: "文件系统只读",
        errno.ENOSPC: "磁盘空间不足", errno.EIO: "读写出错", errno.ENAMETOOLONG: "文件名过长",
    }
    return reasons.get(exc.errno, f"系统错误 {errno.errorcode.get(exc.errno, exc.errno)}")


def check_length(text: str, limit: int, what: str, setting: str) -> str:
    """`text` when it is at most `limit` characters; otherwise a refusal naming the limit and its setting."""
    if len(text) > limit:
        raise TooLong(f"{what}过长（{len(text)} 字），上限为 {limit} 字（可用 {setting} 调整）")
    return text
