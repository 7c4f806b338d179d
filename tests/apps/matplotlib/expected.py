import io

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt


def _plot():
    fig, ax = plt.subplots()
    n = len(ax.plot([1, 2, 3, 4], [1, 4, 2, 3]))
    plt.close(fig)
    return n


def _title():
    fig, ax = plt.subplots()
    ax.set_title("Title")
    title = ax.get_title()
    plt.close(fig)
    return title


def _legend():
    fig, ax = plt.subplots()
    ax.plot([1, 2], [3, 4], label="a")
    legend = ax.legend()
    plt.close(fig)
    return f"{type(legend).__module__}.{type(legend).__qualname__}"


def _figure():
    fig = plt.figure(figsize=(4, 3))
    size = fig.get_size_inches().tolist()
    plt.close(fig)
    return size


def _loglog():
    n = len(plt.loglog([1, 10, 100], [1, 10, 100]))
    plt.close("all")
    return n


def _semilogy():
    n = len(plt.semilogy([1, 2, 3], [10, 100, 1000]))
    plt.close("all")
    return n


def _semilogx():
    n = len(plt.semilogx([10, 100, 1000], [1, 2, 3]))
    plt.close("all")
    return n


def _triplot():
    n = len(plt.triplot([0, 1, 0], [0, 0, 1]))
    plt.close("all")
    return n


def _bar():
    fig, ax = plt.subplots()
    bars = ax.bar(["a", "b"], [3, 5])
    plt.close(fig)
    return len(bars)


def _xlim():
    fig, ax = plt.subplots()
    ax.set_xlim(0, 10)
    limits = ax.get_xlim()
    plt.close(fig)
    return limits


def _scatter():
    fig, ax = plt.subplots()
    paths = ax.scatter([1, 2], [3, 4])
    plt.close(fig)
    return f"{type(paths).__module__}.{type(paths).__qualname__}"


def _hist():
    fig, ax = plt.subplots()
    n, _bins, _patches = ax.hist([1, 2, 2, 3], bins=3)
    plt.close(fig)
    return n.tolist()


def _subplots_grid():
    fig, axs = plt.subplots(2, 2)
    plt.close(fig)
    return axs.shape


def _savefig():
    fig, ax = plt.subplots()
    ax.plot([1, 2])
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    plt.close(fig)
    return buf.getvalue()[:4] == b"\x89PNG"


CASES = {
    "plot": _plot,
    "title": _title,
    "legend": _legend,
    "figure": _figure,
    "loglog": _loglog,
    "semilogy": _semilogy,
    "semilogx": _semilogx,
    "triplot": _triplot,
    "bar": _bar,
    "backend": lambda: matplotlib.get_backend(),
    "xlim": lambda: _xlim(),
    "scatter": lambda: _scatter(),
    "hist": lambda: _hist(),
    "subplots_grid": lambda: _subplots_grid(),
    "savefig": lambda: _savefig(),
}
