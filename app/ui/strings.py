"""UI texts in Russian (default) and English. State stores keys; screens translate them.

A key may carry one parameter after "|" (e.g. "login.failed|Service Unavailable"),
substituted for {0}.
"""

from __future__ import annotations

RU: dict[str, str] = {
    "app.title": "Витрина",
    "app.subtitle": "Клиентская книга бутика",
    "lang.switch": "English",
    "login.title": "Вход для консультанта",
    "login.login": "Логин",
    "login.password": "Пароль",
    "login.submit": "Войти",
    "login.empty": "Введите логин и пароль.",
    "login.wrong": "Неверный логин или пароль. Проверьте раскладку и Caps Lock.",
    "login.unreachable": "Нет связи с сервером лояльности. Проверьте сеть и попробуйте ещё раз — введённое сохранено.",
    "login.failed": "Сервер не принял вход: {0}",
    "nav.clients": "Клиенты",
    "nav.scan": "Скан чека",
    "nav.register": "Регистрация",
    "nav.sync": "Синхронизация",
    "nav.logout": "Выйти",
    "banner.online": "В сети",
    "banner.offline": "Нет связи — работаем офлайн",
    "banner.unknown": "Подключение…",
    "banner.syncing": "Синхронизация…",
    "banner.pending": "Ожидают отправки: {0}",
    "banner.rejected": "Отклонено: {0}",
    "banner.last_sync": "Синхронизировано: {0}",
    "banner.never": "Ещё не синхронизировано",
    "banner.sync_now": "Синхронизировать",
    "notice.cache_damaged": "Локальная база на устройстве была повреждена. Она сохранена как {0}, "
                            "данные загружаются с сервера заново.",
    "notice.session_expired": "Сессия истекла — войдите снова. Несохранённые изменения остаются в очереди.",
    "notice.dismiss": "Понятно",
    "clients.search": "Поиск: телефон, фамилия, карта, email",
    "clients.count": "Клиентов в книге: {0}",
    "clients.empty": "Клиентов пока нет. Они появятся после синхронизации.",
    "clients.nothing": "Ничего не найдено",
    "clients.duplicate": "возможный дубль",
    "clients.last_visit": "визит {0}",
    "sync.title": "Синхронизация",
    "sync.progress": "Загружено {0} из {1}",
    "sync.progress_unknown": "Загружено {0}",
    "sync.pending": "В очереди на отправку: {0}",
    "sync.rejected_title": "Отклонено сервером",
    "sync.dismiss": "Скрыть",
    "sync.error": "Последняя ошибка: {0}",
    "sync.device": "Устройство: {0}",
    "scan.title": "Скан чека",
    "register.title": "Регистрация клиента",
    "soon": "Раздел в разработке.",
    "tier.points": "{0} баллов",
}

EN: dict[str, str] = {
    "app.title": "Vitrine",
    "app.subtitle": "The boutique's client book",
    "lang.switch": "Русский",
    "login.title": "Consultant login",
    "login.login": "Login",
    "login.password": "Password",
    "login.submit": "Log in",
    "login.empty": "Enter your login and password.",
    "login.wrong": "Wrong login or password. Check the keyboard layout and Caps Lock.",
    "login.unreachable": "The loyalty server cannot be reached. Check the network and try again — what you typed is kept.",
    "login.failed": "The server refused the login: {0}",
    "nav.clients": "Clients",
    "nav.scan": "Scan receipt",
    "nav.register": "Register",
    "nav.sync": "Sync",
    "nav.logout": "Log out",
    "banner.online": "Online",
    "banner.offline": "No connection — working offline",
    "banner.unknown": "Connecting…",
    "banner.syncing": "Syncing…",
    "banner.pending": "Waiting to send: {0}",
    "banner.rejected": "Rejected: {0}",
    "banner.last_sync": "Synced: {0}",
    "banner.never": "Not synced yet",
    "banner.sync_now": "Sync now",
    "notice.cache_damaged": "The local database on this device was damaged. It was kept as {0}, "
                            "and the data is being loaded from the server again.",
    "notice.session_expired": "Your session has expired — log in again. Unsent changes stay queued.",
    "notice.dismiss": "OK",
    "clients.search": "Search: phone, surname, card, email",
    "clients.count": "Clients in the book: {0}",
    "clients.empty": "No clients yet. They appear after sync.",
    "clients.nothing": "Nothing found",
    "clients.duplicate": "possible duplicate",
    "clients.last_visit": "visit {0}",
    "sync.title": "Sync",
    "sync.progress": "Loaded {0} of {1}",
    "sync.progress_unknown": "Loaded {0}",
    "sync.pending": "Queued to send: {0}",
    "sync.rejected_title": "Rejected by the server",
    "sync.dismiss": "Hide",
    "sync.error": "Last error: {0}",
    "sync.device": "Device: {0}",
    "scan.title": "Scan receipt",
    "register.title": "Register a client",
    "soon": "Coming soon.",
    "tier.points": "{0} points",
}

TABLES = {"ru": RU, "en": EN}


def t(lang: str, key: str | None, *args: object) -> str:
    """Translate `key` (optionally "key|param") into `lang`; unknown keys show as they are."""
    if not key:
        return ""
    params: tuple[object, ...] = args
    if "|" in key:
        key, param = key.split("|", 1)
        params = (param, *args)
    text = TABLES.get(lang, RU).get(key) or RU.get(key) or key
    return text.format(*params) if params else text
