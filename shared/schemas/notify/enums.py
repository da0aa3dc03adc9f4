"""notify's enumerations: circular kinds and urgency, states, issuers and event types, with Chinese labels."""

from __future__ import annotations

from shared.schemas.enums import LabelledEnum


class CircularKind(LabelledEnum):
    bulletin = "bulletin", "通报"
    notice = "notice", "通知"
    supervision_letter = "supervision_letter", "督办函"
    reminder = "reminder", "提醒"
    experience = "experience", "经验交流"


class Urgency(LabelledEnum):
    extra_urgent = "extra_urgent", "特急"
    urgent = "urgent", "加急"
    routine = "routine", "平件"


class CircularStatus(LabelledEnum):
    draft = "draft", "草稿"
    published = "published", "已发布"
    revoked = "revoked", "已撤回"


class Issuer(LabelledEnum):
    """The bodies that issue circulars; each one's 机关代字 is in `services.notify.docnumber.ISSUERS`."""

    wqb_office = "wqb_office", "湖南省产业发展“万千百”工程工作专班办公室"
    fgw = "fgw", "湖南省发展和改革委员会"
    gxt = "gxt", "湖南省工业和信息化厅"
    nynct = "nynct", "湖南省农业农村厅"
    zjt = "zjt", "湖南省住房和城乡建设厅"
    kjt = "kjt", "湖南省科学技术厅"
    jtt = "jtt", "湖南省交通运输厅"
    swt = "swt", "湖南省商务厅"
    wlt = "wlt", "湖南省文化和旅游厅"
    jrj = "jrj", "湖南省地方金融监督管理局"


class UnitType(LabelledEnum):
    """What an addressed unit (a receipt's signer) is."""

    region = "region", "地区"
    department = "department", "部门"


class ReceiptStatus(LabelledEnum):
    pending = "pending", "待签收"
    signed = "signed", "已签收"
    returned = "returned", "已退回"


class ReceiptAction(LabelledEnum):
    sign = "sign", "签收"
    return_ = "return", "退回"


class EventType(LabelledEnum):
    """What a webhook delivery or a stream event reports."""

    circular_published = "circular.published", "通报发布"
    circular_revoked = "circular.revoked", "通报撤回"
    receipt_signed = "receipt.signed", "签收"
    receipt_returned = "receipt.returned", "退回"
    endpoint_disabled = "endpoint.disabled", "接收端已停用"
    test = "test", "测试事件"


class SubscriberStatus(LabelledEnum):
    active = "active", "启用"
    disabled = "disabled", "停用"


class DeliveryStatus(LabelledEnum):
    """pending → sending → delivered, or → retrying → sending … → failed once every attempt is spent."""

    pending = "pending", "待投递"
    sending = "sending", "投递中"
    delivered = "delivered", "已送达"
    retrying = "retrying", "等待重试"
    failed = "failed", "投递失败"


NOTIFY_ENUM_TYPES: dict[str, type[LabelledEnum]] = {
    "circular_kind": CircularKind,
    "urgency": Urgency,
    "circular_status": CircularStatus,
    "issuer": Issuer,
    "unit_type": UnitType,
    "receipt_status": ReceiptStatus,
    "receipt_action": ReceiptAction,
    "event_type": EventType,
    "subscriber_status": SubscriberStatus,
    "delivery_status": DeliveryStatus,
}
