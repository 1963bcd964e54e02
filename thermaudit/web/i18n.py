"""The interface's words in English, Chinese and Korean; ``?lang=en|zh|ko`` or the ``lang``
cookie chooses, else the browser's Accept-Language.

Every string a page shows comes from :data:`WORDS` (a test checks that each key has all three
languages and the same ``{placeholders}`` in each). Messages the service keeps in the database
(a job's reason for failing, a refusal) are stored as a key with parameters and translated when
shown.
"""

from __future__ import annotations

LANGUAGES = ("en", "zh", "ko")
#: the name of each language in itself, for the language switcher
NATIVE = {"en": "English", "zh": "中文", "ko": "한국어"}
#: the ``lang`` attribute of a page in each language
HTML_LANG = {"en": "en", "zh": "zh-CN", "ko": "ko"}

#: key → (English, Chinese, Korean)
WORDS: dict[str, tuple[str, str, str]] = {
    "app": (
        "thermaudit",
        "thermaudit 能效诊断",
        "thermaudit 에너지 효율 진단",
    ),
    "sign_in": (
        "Sign in",
        "登录",
        "로그인",
    ),
    "sign_out": (
        "Sign out",
        "退出",
        "로그아웃",
    ),
    "email": (
        "E-mail",
        "电子邮箱",
        "이메일",
    ),
    "password": (
        "Password",
        "密码",
        "비밀번호",
    ),
    "bad_login": (
        "Wrong e-mail or password.",
        "邮箱或密码错误。",
        "이메일 또는 비밀번호가 올바르지 않습니다.",
    ),
    "too_many": (
        "Too many failed sign-ins; try again in {s} s.",
        "登录失败次数过多，请 {s} 秒后再试。",
        "로그인 실패가 너무 많습니다. {s}초 후에 다시 시도하십시오.",
    ),
    "dashboard": (
        "Enterprises",
        "企业",
        "기업",
    ),
    "no_enterprises": (
        "No enterprise is visible to you yet.",
        "目前没有您可查看的企业。",
        "아직 볼 수 있는 기업이 없습니다.",
    ),
    "enterprise": (
        "Enterprise",
        "企业",
        "기업",
    ),
    "upload": (
        "Upload a dataset",
        "上传数据集",
        "데이터셋 업로드",
    ),
    "upload_help": (
        "A .zip of the dataset folder (site.yaml and the tables) or an .xlsx workbook made "
        "from the template.",
        "数据集文件夹的 .zip（site.yaml 和各数据表），或按模板填写的 .xlsx 工作簿。",
        "데이터셋 폴더의 .zip(site.yaml과 각 테이블) 또는 템플릿으로 작성한 .xlsx 통합 문서.",
    ),
    "template": (
        "Download the Excel template",
        "下载 Excel 模板",
        "Excel 템플릿 다운로드",
    ),
    "replace": (
        "Supersede overlapping imports",
        "替换时间重叠的已导入数据",
        "기간이 겹치는 기존 가져오기 대체",
    ),
    "datasets": (
        "Datasets",
        "数据集",
        "데이터셋",
    ),
    "file": (
        "File",
        "文件",
        "파일",
    ),
    "status": (
        "Status",
        "状态",
        "상태",
    ),
    "size": (
        "Size",
        "大小",
        "크기",
    ),
    "uploaded": (
        "Uploaded",
        "上传时间",
        "업로드 시각",
    ),
    "assess": (
        "Run an assessment",
        "运行评估",
        "평가 실행",
    ),
    "lang_report": (
        "Report language",
        "报告语言",
        "보고서 언어",
    ),
    "history": (
        "Assessment history",
        "评估历史",
        "평가 이력",
    ),
    "version": (
        "Version",
        "版本",
        "버전",
    ),
    "period": (
        "Period",
        "期间",
        "기간",
    ),
    "signed": (
        "Signed",
        "已签名",
        "서명됨",
    ),
    "not_signed": (
        "Not signed",
        "未签名",
        "서명되지 않음",
    ),
    "created": (
        "Created",
        "创建时间",
        "생성 시각",
    ),
    "compare": (
        "Compare",
        "对比",
        "비교",
    ),
    "compare_two": (
        "Compare two assessments",
        "对比两次评估",
        "두 평가 비교",
    ),
    "jobs": (
        "Background work",
        "后台任务",
        "백그라운드 작업",
    ),
    "job": (
        "Job",
        "任务",
        "작업",
    ),
    "progress": (
        "Progress",
        "进度",
        "진행률",
    ),
    "message": (
        "Message",
        "信息",
        "메시지",
    ),
    "access": (
        "Access of assessment bodies",
        "评估机构访问权限",
        "평가 기관의 접근 권한",
    ),
    "grant": (
        "Grant access",
        "授予访问",
        "접근 권한 부여",
    ),
    "revoke": (
        "Revoke",
        "撤销",
        "철회",
    ),
    "no_grants": (
        "No assessment body has access.",
        "尚无评估机构获得访问权限。",
        "접근 권한을 가진 평가 기관이 없습니다.",
    ),
    "metrics": (
        "The six metrics",
        "六项指标",
        "6개 지표",
    ),
    "metric": (
        "Metric",
        "指标",
        "지표",
    ),
    "value": (
        "Value",
        "数值",
        "값",
    ),
    "unit": (
        "Unit",
        "单位",
        "단위",
    ),
    "grade": (
        "Grade",
        "等级",
        "등급",
    ),
    "qualified": (
        "Data qualify",
        "数据合格",
        "데이터 적격",
    ),
    "yes": (
        "yes",
        "是",
        "예",
    ),
    "no": (
        "no",
        "否",
        "아니요",
    ),
    "uncertainty": (
        "U (k=2)",
        "扩展不确定度 U（k=2）",
        "확장 불확도 U (k=2)",
    ),
    "findings": (
        "Data-quality findings",
        "数据质量发现",
        "데이터 품질 발견 사항",
    ),
    "severity": (
        "Severity",
        "严重程度",
        "심각도",
    ),
    "code": (
        "Code",
        "代码",
        "코드",
    ),
    "sku_ranking": (
        "SKU ranking (energy per unit product)",
        "产品单耗排名",
        "SKU 순위(제품 단위당 에너지)",
    ),
    "good_qty": (
        "Good pieces",
        "合格品数量",
        "양품 수량",
    ),
    "good_mass": (
        "Good mass [t]",
        "合格品质量 [t]",
        "양품 질량 [t]",
    ),
    "charts": (
        "Charts",
        "图表",
        "차트",
    ),
    "downloads": (
        "Downloads",
        "下载",
        "다운로드",
    ),
    "bundle": (
        "signed bundle (.zip)",
        "签名包（.zip）",
        "서명 패키지(.zip)",
    ),
    "readiness": ("Readiness check", "评估前就绪检查", "평가 준비 점검"),
    "readiness_hint": (
        "what this dataset lacks for each metric, before the assessor comes",
        "评估前：本数据集在各项指标上还缺什么",
        "평가 전에 이 데이터셋이 지표별로 무엇이 부족한지",
    ),
    "readiness_intro": (
        "For each metric of the specification in force: can it be computed, at what data "
        "quality, and what is missing — with who answers for it, the kind of work, and the "
        "certificate renewals it puts at risk, the soonest first.",
        "按现行规范的每项指标：能否计算、数据质量如何、缺少什么——并注明责任人、工作类型"
        "以及受影响的证书换证（最近的在前）。",
        "현행 규격의 지표마다 산출 가능 여부, 데이터 품질, 부족한 사항을 담당자, 조치 유형, "
        "위험해지는 인증서 갱신(가까운 순)과 함께 보여 줍니다.",
    ),
    "readiness_metrics": ("Metrics", "各项指标", "지표별"),
    "computable": ("Computable", "能否计算", "산출 가능"),
    "data_quality": ("Data quality", "数据质量", "데이터 품질"),
    "gaps": ("Gaps", "缺口", "미비 사항"),
    "gap": ("Gap", "缺口", "미비 사항"),
    "effort": ("Kind of work", "工作类型", "조치 유형"),
    "renewal_at_risk": ("Renewal at risk", "受影响的换证", "위험한 갱신"),
    "no_gaps": ("No gap found.", "未发现缺口。", "미비 사항이 없습니다."),
    "readiness_json": (
        "The readiness check as data (JSON)",
        "就绪检查数据（JSON）",
        "준비 점검 데이터(JSON)",
    ),
    "readiness_refused": (
        "The readiness check cannot read this upload.",
        "就绪检查无法读取此上传文件。",
        "준비 점검에서 이 업로드 파일을 읽을 수 없습니다.",
    ),
    "owner": ("Owner", "责任人", "담당자"),
    "department": ("Department", "部门", "부서"),
    "person": ("Person or role", "人员或岗位", "담당자 또는 직무"),
    "assign": ("Assign", "指派", "지정"),
    "finding_status": ("Status", "状态", "상태"),
    "status_open": ("open", "未关闭", "미완료"),
    "status_closed": ("closed", "已关闭", "완료"),
    "close_finding": ("Close", "关闭", "완료 처리"),
    "reopen": ("Reopen", "重新打开", "다시 열기"),
    "finding_not_found": (
        "This assessment has no such finding.",
        "本评估没有该项发现。",
        "이 평가에는 해당 발견 사항이 없습니다.",
    ),
    "finding_status_bad": (
        "A finding is open or closed.",
        "发现的状态只能是未关闭或已关闭。",
        "발견 사항의 상태는 미완료 또는 완료입니다.",
    ),
    "owner_too_long": (
        "An owner's department or name is at most {n} characters.",
        "部门或人员名称最多 {n} 个字符。",
        "부서 또는 담당자 이름은 최대 {n}자입니다.",
    ),
    "for_buyers": (
        "For your buyers and the EU",
        "供客户与欧盟使用",
        "구매자 및 EU 제출용",
    ),
    "pcf_file": (
        "product carbon footprints (JSON)",
        "产品碳足迹（JSON）",
        "제품 탄소발자국(JSON)",
    ),
    "cbam_file": (
        "CBAM communication (.xlsx)",
        "CBAM 通报表（.xlsx）",
        "CBAM 커뮤니케이션(.xlsx)",
    ),
    "cbam_json": (
        "CBAM communication (JSON)",
        "CBAM 通报（JSON）",
        "CBAM 커뮤니케이션(JSON)",
    ),
    "esrs_file": (
        "ESRS E1 energy and GHG datapoints (JSON)",
        "ESRS E1 能源与温室气体数据点（JSON）",
        "ESRS E1 에너지·온실가스 데이터 포인트(JSON)",
    ),
    "esrs_xbrl": (
        "ESRS E1 datapoints (xBRL-JSON)",
        "ESRS E1 数据点（xBRL-JSON）",
        "ESRS E1 데이터 포인트(xBRL-JSON)",
    ),
    "vsme_file": (
        "VSME B3 energy and GHG (JSON)",
        "VSME B3 能源与温室气体（JSON）",
        "VSME B3 에너지·온실가스(JSON)",
    ),
    "vsme_xbrl": (
        "VSME B3 datapoints (xBRL-JSON)",
        "VSME B3 数据点（xBRL-JSON）",
        "VSME B3 데이터 포인트(xBRL-JSON)",
    ),
    "kesg_file": (
        "K-ESG environment figures, in Korean (.xlsx)",
        "K-ESG 环境指标，韩文（.xlsx）",
        "K-ESG 환경 항목(.xlsx)",
    ),
    "pact_buyers": (
        "Buyers' access to product footprints (PACT)",
        "买方获取产品碳足迹（PACT）",
        "구매자의 제품 탄소발자국 열람(PACT)",
    ),
    "pact_help": (
        "Each buyer gets its own client id and secret for the PACT interface and sees the "
        "footprints of the products chosen here, from the latest signed assessment.",
        "每个买方获得各自的 PACT 接口客户端标识和密钥，"
        "只能看到此处所选产品的碳足迹（取自最新签署的评估）。",
        "구매자마다 PACT 인터페이스용 클라이언트 ID와 비밀키를 받으며, "
        "여기서 선택한 제품의 탄소발자국만 볼 수 있습니다(최신 서명 평가 기준).",
    ),
    "pact_buyer": (
        "Buyer",
        "买方",
        "구매자",
    ),
    "pact_client_id": (
        "Client id",
        "客户端标识",
        "클라이언트 ID",
    ),
    "pact_client_secret": (
        "Client secret",
        "客户端密钥",
        "클라이언트 비밀키",
    ),
    "pact_products": (
        "Products it sees",
        "可见产品",
        "볼 수 있는 제품",
    ),
    "pact_create": (
        "Create credentials",
        "创建凭据",
        "자격 증명 만들기",
    ),
    "pact_no_clients": (
        "No buyer has credentials yet.",
        "尚无买方获得凭据。",
        "아직 자격 증명을 받은 구매자가 없습니다.",
    ),
    "pact_revoked": (
        "revoked",
        "已撤销",
        "철회됨",
    ),
    "pact_secret_once": (
        "Give the buyer these credentials over a safe channel. The secret is shown only now: "
        "the service keeps only a hash of it.",
        "请通过安全渠道将凭据交给买方。密钥只在此处显示一次：服务只保存其哈希值。",
        "안전한 경로로 이 자격 증명을 구매자에게 전달하십시오. "
        "비밀키는 지금 한 번만 표시되며, 서비스는 그 해시만 보관합니다.",
    ),
    "pact_endpoint": (
        "Base URL of the PACT interface: {url} (token endpoint {token})",
        "PACT 接口地址：{url}（令牌端点 {token}）",
        "PACT 인터페이스 주소: {url} (토큰 엔드포인트 {token})",
    ),
    "pact_forbidden": (
        "Only the enterprise's members or an administrator may manage buyers' access.",
        "只有本企业成员或管理员可以管理买方访问。",
        "기업 구성원 또는 관리자만 구매자 접근을 관리할 수 있습니다.",
    ),
    "pact_no_assessment": (
        "The enterprise has no signed assessment yet: run one, then choose the products a "
        "buyer sees.",
        "该企业尚无已签署的评估：请先运行评估，再选择买方可见的产品。",
        "이 기업에는 아직 서명된 평가가 없습니다. "
        "평가를 실행한 후 구매자가 볼 제품을 선택하십시오.",
    ),
    "pact_unknown_sku": (
        "Product {sku} is not in the latest signed assessment (its products: {known}).",
        "产品 {sku} 不在最新签署的评估中（其产品：{known}）。",
        "제품 {sku}은(는) 최신 서명 평가에 없습니다(평가의 제품: {known}).",
    ),
    "pact_no_skus": (
        "Choose at least one product.",
        "请至少选择一个产品。",
        "제품을 하나 이상 선택하십시오.",
    ),
    "pact_buyer_name": (
        "Enter the buyer's name (1 to 200 characters).",
        "请输入买方名称（1 至 200 个字符）。",
        "구매자 이름을 입력하십시오(1~200자).",
    ),
    "pact_no_client": (
        "No such buyer credentials.",
        "没有该买方凭据。",
        "해당 구매자 자격 증명이 없습니다.",
    ),
    "pact_file": (
        "PACT product footprints (JSON)",
        "PACT 产品碳足迹（JSON）",
        "PACT 제품 탄소발자국(JSON)",
    ),
    "fingerprint": (
        "Signing key fingerprint",
        "签名密钥指纹",
        "서명 키 지문",
    ),
    "rerun": (
        "Run again (creates a new version)",
        "重新运行（生成新版本）",
        "다시 실행(새 버전 생성)",
    ),
    "immutable": (
        "A signed assessment never changes; running it again creates version {v}.",
        "已签名的评估不会被修改；重新运行将生成第 {v} 版。",
        "서명된 평가는 변경되지 않습니다. 다시 실행하면 버전 {v}이(가) 생성됩니다.",
    ),
    "problems": (
        "Problems found",
        "发现的问题",
        "발견된 문제",
    ),
    "row": (
        "Row",
        "行",
        "행",
    ),
    "column": (
        "Column",
        "列",
        "열",
    ),
    "expected": (
        "Expected",
        "应为",
        "기대값",
    ),
    "found": (
        "Found",
        "实际",
        "실제값",
    ),
    "working": (
        "Working…",
        "处理中…",
        "처리 중…",
    ),
    "open_result": (
        "Open the result",
        "查看结果",
        "결과 보기",
    ),
    "admin": (
        "Administration",
        "管理",
        "관리",
    ),
    "organizations": (
        "Organizations",
        "组织",
        "조직",
    ),
    "users": (
        "Users",
        "用户",
        "사용자",
    ),
    "kind": (
        "Kind",
        "类型",
        "유형",
    ),
    "name": (
        "Name",
        "名称",
        "이름",
    ),
    "role": (
        "Role",
        "角色",
        "역할",
    ),
    "create": (
        "Create",
        "创建",
        "생성",
    ),
    "organization": (
        "Organization",
        "组织",
        "조직",
    ),
    "audit": (
        "Audit log",
        "审计日志",
        "감사 로그",
    ),
    "when": (
        "When (UTC)",
        "时间（UTC）",
        "시각(UTC)",
    ),
    "user": (
        "User",
        "用户",
        "사용자",
    ),
    "action": (
        "Action",
        "操作",
        "작업",
    ),
    "target": (
        "Target",
        "对象",
        "대상",
    ),
    "a": (
        "A",
        "A",
        "A",
    ),
    "b": (
        "B",
        "B",
        "B",
    ),
    "delta": (
        "B − A",
        "B − A",
        "B − A",
    ),
    "delta_pct": (
        "Change",
        "变化",
        "변화",
    ),
    "not_found": (
        "Not found.",
        "未找到。",
        "찾을 수 없습니다.",
    ),
    "enterprise_kind": (
        "enterprise",
        "企业",
        "기업",
    ),
    "assessment_body_kind": (
        "assessment body",
        "评估机构",
        "평가 기관",
    ),
    "enterprise_member_role": (
        "enterprise member",
        "企业成员",
        "기업 구성원",
    ),
    "assessor_role": (
        "assessor",
        "评估员",
        "평가자",
    ),
    "admin_role": (
        "administrator",
        "管理员",
        "관리자",
    ),
    "queued": (
        "queued",
        "排队中",
        "대기 중",
    ),
    "running": (
        "running",
        "运行中",
        "실행 중",
    ),
    "done": (
        "done",
        "完成",
        "완료",
    ),
    "failed": (
        "failed",
        "失败",
        "실패",
    ),
    "importing": (
        "importing",
        "导入中",
        "가져오는 중",
    ),
    "imported": (
        "imported",
        "已导入",
        "가져옴",
    ),
    "unchanged": (
        "unchanged",
        "未变化",
        "변경 없음",
    ),
    "rejected": (
        "rejected",
        "已拒绝",
        "거부됨",
    ),
    "error": (
        "Error",
        "错误",
        "오류",
    ),
    "reason": (
        "Reason",
        "原因",
        "사유",
    ),
    "job_interrupted": (
        "Interrupted by a server restart; run it again.",
        "因服务器重启而中断，请重新运行。",
        "서버 재시작으로 중단되었습니다. 다시 실행하십시오.",
    ),
    "job_timeout": (
        "Stopped after the time limit of {s} s; nothing unfinished was kept. Run it again, or "
        "ask the operator to raise THERMAUDIT_JOB_TIMEOUT_S.",
        "运行超过 {s} 秒的时间上限而被停止；未完成的内容均未保留。请重新运行，或请运维人员调高 "
        "THERMAUDIT_JOB_TIMEOUT_S。",
        "제한 시간 {s}초를 넘어 중지되었습니다. 완료되지 않은 내용은 남기지 않았습니다. 다시 실"
        "행하거나 운영자에게 THERMAUDIT_JOB_TIMEOUT_S를 늘려 달라고 요청하십시오.",
    ),
    "job_crashed": (
        "The job's process ended unexpectedly (exit code {code}); nothing unfinished was kept. "
        "Run it again.",
        "任务进程意外终止（退出码 {code}）；未完成的内容均未保留。请重新运行。",
        "작업 프로세스가 예기치 않게 종료되었습니다(종료 코드 {code}). 완료되지 않은 내용은 남"
        "기지 않았습니다. 다시 실행하십시오.",
    ),
    "job_refused": (
        "Refused: {detail}",
        "已拒绝：{detail}",
        "거부됨: {detail}",
    ),
    "job_error": (
        "An internal error stopped the job; the details are in the server log. Run it again; "
        "if it fails again, tell the operator.",
        "内部错误导致任务停止，详情见服务器日志。请重新运行；如再次失败，请联系运维人员。",
        "내부 오류로 작업이 중지되었습니다. 자세한 내용은 서버 로그에 있습니다. 다시 실행하고, "
        "또 실패하면 운영자에게 알리십시오.",
    ),
    "rejected_summary": (
        "The dataset was rejected: {n} problem(s); nothing was stored.",
        "数据集被拒绝：发现 {n} 个问题；未保存任何内容。",
        "데이터셋이 거부되었습니다: 문제 {n}건. 아무것도 저장되지 않았습니다.",
    ),
    "rejected_because": (
        "The dataset was rejected: {detail}; nothing was stored.",
        "数据集被拒绝：{detail}；未保存任何内容。",
        "데이터셋이 거부되었습니다: {detail}. 아무것도 저장되지 않았습니다.",
    ),
    "retry_import": (
        "Import again",
        "重新导入",
        "다시 가져오기",
    ),
    "retry_refused": (
        "Only a failed import can be run again.",
        "只有失败的导入才能重新运行。",
        "실패한 가져오기만 다시 실행할 수 있습니다.",
    ),
    "upload_gone": (
        "The uploaded file is no longer on the server; upload it again.",
        "服务器上已没有该上传文件，请重新上传。",
        "업로드한 파일이 서버에 더 이상 없습니다. 다시 업로드하십시오.",
    ),
    "too_large": (
        "The upload is larger than the limit of {limit}.",
        "上传文件超过 {limit} 的上限。",
        "업로드 파일이 한도 {limit}보다 큽니다.",
    ),
    "conflict_concurrent": (
        "Another request made the same change at the same moment (a duplicate?); reload the "
        "page to see the current state.",
        "另一请求在同一时刻做了同样的更改（重复提交？）；请刷新页面查看当前状态。",
        "다른 요청이 같은 순간에 같은 변경을 했습니다(중복 제출?). 페이지를 새로 고쳐 현재 상태"
        "를 확인하십시오.",
    ),
    "tampered": (
        "The file {file} of this signed assessment no longer matches its signed manifest, so "
        "it is not served. The incident was logged; ask the operator to restore the file from "
        "a backup.",
        "该已签名评估的文件 {file} 与其签名清单不再一致，因此不予提供。此事件已记录；请联系运维"
        "人员从备份恢复该文件。",
        "이 서명된 평가의 파일 {file}이(가) 서명된 매니페스트와 더 이상 일치하지 않아 제공하지 "
        "않습니다. 이 사건은 기록되었습니다. 운영자에게 백업에서 파일을 복원해 달라고 요청하십"
        "시오.",
    ),
    "assessment_busy": (
        "An assessment of this enterprise is already queued or running (version {v}); wait "
        "until it has finished.",
        "该企业已有评估在排队或运行中（第 {v} 版）；请等待其完成。",
        "이 기업의 평가가 이미 대기 중이거나 실행 중입니다(버전 {v}). 끝날 때까지 기다리십시오.",
    ),
    "org_exists": (
        "An organization named {name} exists already (names are compared ignoring case and "
        "spacing).",
        "名为 {name} 的组织已存在（名称比较不区分大小写和空格）。",
        "{name}(이)라는 이름의 조직이 이미 있습니다(이름은 대소문자와 공백을 구분하지 않고 비교"
        "합니다).",
    ),
    "grant_exists": (
        "{name} has access to this enterprise already.",
        "{name} 已有该企业的访问权限。",
        "{name}은(는) 이미 이 기업에 접근할 수 있습니다.",
    ),
    "user_exists": (
        "A user with e-mail {email} exists already.",
        "电子邮箱为 {email} 的用户已存在。",
        "이메일이 {email}인 사용자가 이미 있습니다.",
    ),
    "slow_down": (
        "Too many failed sign-ins for this account; try again in {s} s.",
        "该账户登录失败次数过多，请 {s} 秒后再试。",
        "이 계정의 로그인 실패가 너무 많습니다. {s}초 후에 다시 시도하십시오.",
    ),
    "csrf_failed": (
        "Missing or wrong security token; reload the page and try again.",
        "安全令牌缺失或错误；请刷新页面后重试。",
        "보안 토큰이 없거나 올바르지 않습니다. 페이지를 새로 고친 후 다시 시도하십시오.",
    ),
    "job_import": (
        "import",
        "导入",
        "가져오기",
    ),
    "job_assess": (
        "assessment",
        "评估",
        "평가",
    ),
    "detail": (
        "Detail",
        "详情",
        "상세",
    ),
    "download_json": (
        "JSON data",
        "JSON 数据",
        "JSON 데이터",
    ),
    "upload_not_dataset": (
        "The file {file} is neither a .zip of the dataset folder nor an .xlsx workbook; "
        "upload one of these.",
        "文件 {file} 既不是数据集文件夹的 .zip，也不是 .xlsx 工作簿；请上传其中一种。",
        "파일 {file}은(는) 데이터셋 폴더의 .zip도 .xlsx 통합 문서도 아닙니다. 둘 중 하나를 "
        "업로드하십시오.",
    ),
    "invalid_whole_number": (
        "In the address, {name} must be a whole number; found “{found}”.",
        "地址中的 {name} 必须是整数，实际为“{found}”。",
        "주소의 {name}은(는) 정수여야 합니다. 입력된 값: “{found}”.",
    ),
    "invalid_missing": (
        "The address lacks {name}, which this page needs.",
        "地址中缺少本页所需的 {name}。",
        "주소에 이 페이지에 필요한 {name}이(가) 없습니다.",
    ),
    "invalid_range": (
        "In the address, {name} is out of range; found “{found}”.",
        "地址中的 {name} 超出允许范围，实际为“{found}”。",
        "주소의 {name}이(가) 허용 범위를 벗어났습니다. 입력된 값: “{found}”.",
    ),
    "invalid_value": (
        "In the address or the form, {name} has a value this page does not accept: “{found}”.",
        "地址或表单中 {name} 的值“{found}”不被本页接受。",
        "주소 또는 양식의 {name} 값 “{found}”은(는) 이 페이지에서 받아들일 수 없습니다.",
    ),
    "job_imported": (
        "imported {rows} rows as {id}",
        "已导入 {rows} 行，导入编号 {id}",
        "{rows}행을 가져옴, 가져오기 번호 {id}",
    ),
    "job_unchanged": (
        "unchanged: identical to import {id}; nothing was stored",
        "未变化：与导入 {id} 完全相同，未存储任何内容",
        "변경 없음: 가져오기 {id}와 동일하여 저장하지 않음",
    ),
    "job_signed": (
        "assessment signed ({files} files)",
        "评估已签名（{files} 个文件）",
        "평가 서명 완료(파일 {files}개)",
    ),
    "import_id": (
        "import",
        "导入编号",
        "가져오기 번호",
    ),
    "target_assessment": (
        "assessment",
        "评估",
        "평가",
    ),
    "target_dataset": (
        "dataset",
        "数据集",
        "데이터셋",
    ),
    "target_organization": (
        "organization",
        "组织",
        "조직",
    ),
    "target_user": (
        "user",
        "用户",
        "사용자",
    ),
    "target_pact_client": (
        "PACT client",
        "PACT 客户端",
        "PACT 클라이언트",
    ),
}


def translate(key: str, lang: str, **kw: object) -> str:
    """The text of ``key`` in ``lang`` (English for an unknown language), formatted with
    ``kw``; an unknown key is returned as it is."""
    words = WORDS.get(key)
    if words is None:
        return key
    text = words[LANGUAGES.index(lang)] if lang in LANGUAGES else words[0]
    return text.format(**kw) if kw else text


def accepted(header: str) -> str:
    """The first language of an Accept-Language header that the interface speaks."""
    for part in header.split(","):
        tag = part.split(";", 1)[0].strip().lower()
        primary = tag.split("-", 1)[0]
        if primary in LANGUAGES:
            return primary
    return "en"
