"""Every Vietnamese label the extractor recognises, each once, with its meaning in English.

Labels are written as they appear on portals; they are matched on *folded* text (NFC,
lower-case, diacritics removed, đ→d), so "Ngày cập nhật", "NGÀY CẬP NHẬT" and "Ngay cap nhat"
are one label. Add a variant here, never inline in the extraction code.
"""

from __future__ import annotations

# Labels that introduce the article's publication date.
PUBLISHED_LABELS: tuple[str, ...] = (
    "Ngày đăng",  # date posted
    "Đăng ngày",  # posted on
    "Đăng lúc",  # posted at
    "Ngày đăng tin",  # date the news was posted
    "Thời gian đăng",  # time posted
    "Ngày xuất bản",  # date published
    "Ngày ban hành",  # date issued (documents)
    "Đăng bởi",  # posted by (WordPress byline, followed by a name and "vào lúc")
)

# Labels that introduce an update date; alone on a page they are the article's date.
UPDATED_LABELS: tuple[str, ...] = (
    "Ngày cập nhật",  # date updated
    "Lần cập nhật cuối",  # last updated (Joomla)
    "Cập nhật lần cuối",  # last updated
    "Cập nhật lúc",  # updated at
    "Cập nhật ngày",  # updated on
    "Cập nhật",  # updated
    "Sửa đổi lần cuối",  # last modified
    "Ngày sửa",  # date edited
)

# Weekday prefixes that may stand between a label and a date ("Thứ năm - 27/08/2020").
WEEKDAYS: tuple[str, ...] = (
    "Thứ hai",  # Monday
    "Thứ ba",  # Tuesday
    "Thứ tư",  # Wednesday
    "Thứ năm",  # Thursday
    "Thứ sáu",  # Friday
    "Thứ bảy",  # Saturday
    "Chủ nhật",  # Sunday
)

# 12-hour clock markers.
MORNING = ("SA", "AM")  # sáng: before noon
AFTERNOON = ("CH", "PM")  # chiều: after noon

# Headings that end the article: what follows is navigation, not content.
END_MARKERS: tuple[str, ...] = (
    "Các tin khác",  # other news
    "Các bài khác",  # other articles
    "Tin khác",  # other news
    "Các tin đã đưa",  # news already published
    "Tin liên quan",  # related news
    "Tin cùng chuyên mục",  # news in the same section
    "Bài viết liên quan",  # related posts
    "Các tin cũ hơn",  # older news
    "Những tin mới hơn",  # newer news
    "Những tin cũ hơn",  # older news
    "Tin mới hơn",  # newer news
    "Tin cũ hơn",  # older news
    "Xem thêm",  # see more
    "Có liên quan",  # related (WordPress Jetpack)
    "Ý kiến bạn đọc",  # readers' comments
    "Gửi ý kiến",  # send a comment
    "Bình luận",  # comments
)

# Short controls around an article that are never content ("print", "e-mail", "back" ...).
CONTROLS: tuple[str, ...] = (
    "Bản in",  # print version
    "In bài viết",  # print this article
    "In trang",  # print page
    "In bài",  # print article
    "Gửi email",  # send by e-mail
    "Gửi bài viết",  # send this article
    "Gửi cho bạn bè",  # send to friends
    "Lưu bài viết",  # save article
    "Chia sẻ",  # share
    "Quay lại",  # back
    "Trở về",  # back
    "Về đầu trang",  # to the top
    "Đầu trang",  # top of page
    "Cỡ chữ",  # font size
    "Lên đầu trang",  # to the top
    "Email",
    "In",
    "PDF",
    "Print",
    "Tweet",
    "Zalo",
    "Facebook",
)

# Links a crawl never follows, by their whole text: they lead to another view of the page they
# are on (a print version, a form to mail it), never to another article.
UNFOLLOWED_LINKS: tuple[str, ...] = (
    "Bản in",  # print version
    "In bài viết",  # print this article
    "In bài này",  # print this article
    "In trang",  # print page
    "In bài",  # print article
    "In tin",  # print news item
    "In",  # print
    "Print",
    "Gửi email",  # send by e-mail
    "Gửi bài viết",  # send this article
    "Gửi cho bạn bè",  # send to friends
    "Email",
)

# Labels that introduce the attribution; value: which part of the source they name.
SOURCE_LABELS: dict[str, str] = {
    "Theo": "publisher",  # according to (a publication or site)
    "Nguồn": "publisher",  # source
    "Nguồn tin": "publisher",  # news source
    "Theo nguồn": "publisher",  # according to the source
    "Tác giả": "author",  # author
    "Người viết": "author",  # writer
    "Bài và ảnh": "author",  # text and photos by
    "Bài, ảnh": "author",  # text and photos by
    "Tin, ảnh": "author",  # report and photos by
    "Tin và ảnh": "author",  # report and photos by
    "Bài": "author",  # text by
    "Tin": "author",  # report by
    "Người đăng": "author",  # posted by
    # CMS bylines ("Written by %s"): Joomla vi-VN com_content COM_CONTENT_WRITTEN_BY="Viết bởi %s"
    # (phucnhdnict/CBCC language/vi-VN/vi-VN.com_content.ini; Joomla 1.5: WRITTEN BY=Viết bởi %s,
    # phongjalvn/gmtech language/vi-VN/vi-VN.com_content.ini), rendered in <dd class="createdby">
    # (joomla/joomla-cms layouts/joomla/content/info_block/author.php); WordPress themes' "Đăng bởi"
    # / "bởi" ("by") before .byline .author. Only a person's or a unit's name after them is a credit.
    "Viết bởi": "author",  # written by
    "Được viết bởi": "author",  # written by
    "Đăng bởi": "author",  # posted by
    "Bởi": "author",  # by
}

# Labels that credit someone only when a name follows (they open other phrases too: "Bởi vì" =
# because, "Tin mới" = latest news).
NAME_ONLY_LABELS: tuple[str, ...] = ("Tin", "Bài", "Bởi", "Viết bởi", "Được viết bởi", "Đăng bởi", "Người đăng")

# Accounts a CMS prints as the author that credit nobody (Joomla's "Super User", WordPress's "admin").
NOT_AUTHORS: tuple[str, ...] = (
    "Super User",
    "Admin",
    "Administrator",
    "Quản trị",  # administrator
    "Quản trị viên",  # administrator
    "Quản trị hệ thống",  # system administrator
    "Quản trị website",  # site administrator
    "Webmaster",
)

# Class/id words of CMS byline elements, beyond SOURCE_HINTS: Joomla's <dd class="createdby">.
BYLINE_HINTS: tuple[str, ...] = ("createdby", "created-by", "writer", "nguoiviet", "nguoi-viet")

# Photo credits: never the article's source.
PHOTO_CREDIT_LABELS: tuple[str, ...] = (
    "Ảnh",  # photo
    "Ảnh minh họa",  # illustration
    "Ảnh minh hoạ",  # illustration (old tone placement)
)

# First words of unit / organisation names credited as a publisher.
UNIT_WORDS: tuple[str, ...] = (
    "Sở",  # department (provincial)
    "Ban",  # board
    "Bộ",  # ministry
    "Báo",  # newspaper
    "Tạp chí",  # magazine
    "Đài",  # broadcaster
    "Cổng",  # portal
    "Trang",  # site
    "Trung tâm",  # centre
    "Văn phòng",  # office
    "VP",  # office (abbreviated: "VP HĐND-UBND huyện")
    "Phòng",  # division / district office
    "Chi cục",  # sub-department
    "Cục",  # department (national)
    "Tổng cục",  # general department
    "UBND",  # people's committee
    "Ủy ban",  # committee
    "Uỷ ban",  # committee (old tone placement)
    "HĐND",  # people's council
    "Hội đồng",  # council
    "Hội",  # association
    "Liên đoàn",  # federation
    "Viện",  # institute
    "Trường",  # school
    "Bệnh viện",  # hospital
    "Bảo tàng",  # museum
    "Thư viện",  # library
    "Nhà hát",  # theatre
    "Nhà văn hóa",  # cultural house
    "Học viện",  # academy
    "Đại học",  # university
    "Đoàn",  # (youth) union, delegation, troupe
    "Đội",  # team, unit
    "Hạt",  # (forest ranger) station
    "Vườn quốc gia",  # national park
    "Khu",  # zone, park (Khu Di tích …)
    "Tòa án",  # court
    "Viện kiểm sát",  # procuracy
    "Công an",  # police
    "Bộ đội",  # army
    "Bộ Chỉ huy",  # military command
    "Thành ủy",  # city party committee
    "Tỉnh ủy",  # provincial party committee
    "Huyện ủy",  # district party committee
    "Kho bạc",  # treasury
    "Thanh tra",  # inspectorate
    "Ngân hàng",  # bank
    "Quỹ",  # fund
    "Thông tấn xã",  # news agency
    "TTXVN",  # Vietnam News Agency
    "VOV",  # Voice of Vietnam
    "VTV",  # Vietnam Television
    "Vietnamplus",
    # Units that close signature lines ("Name - Unit") on district and commune portals.
    "Công ty",  # company
    "Tổng công ty",  # corporation
    "Hợp tác xã",  # cooperative
    "HTX",  # cooperative (abbreviated)
    "Đảng ủy",  # party committee
    "Đảng uỷ",  # party committee (old tone placement)
    "Đảng bộ",  # party organisation
    "Chi bộ",  # party cell
    "Thị ủy",  # town party committee
    "Thị uỷ",  # town party committee (old tone placement)
    "Quận ủy",  # urban district party committee
    "Huyện uỷ",  # district party committee (old tone placement)
    "Tỉnh uỷ",  # provincial party committee (old tone placement)
    "Thành uỷ",  # city party committee (old tone placement)
    "Huyện Đoàn",  # district youth union
    "Tỉnh Đoàn",  # provincial youth union
    "Thành Đoàn",  # city youth union
    "Xã Đoàn",  # commune youth union
    "Công đoàn",  # trade union
    "Mặt trận",  # (Fatherland) Front
    "MTTQ",  # Fatherland Front (abbreviated)
    "Bảo hiểm xã hội",  # social insurance agency
    "BHXH",  # social insurance agency (abbreviated)
    "Điện lực",  # power company
    "Trạm",  # station (Trạm Y tế, Trạm Khuyến nông)
    "Xí nghiệp",  # enterprise
    "Nhà máy",  # factory
    "Chi nhánh",  # branch
    "Liên minh",  # alliance (Liên minh HTX)
    "TTYT",  # health centre (abbreviated)
    "TTVH",  # cultural centre (abbreviated)
    "CDC",  # centre for disease control
)

# Abbreviations that credit a role, not a unit ("Minh Anh - PV": the reporter).
ROLE_ABBREVIATIONS: tuple[str, ...] = ("PV", "CTV", "BTV", "TH", "ST", "TTV")

# Words that open a unit's name but also common phrases that are no unit ("Hội thảo" = workshop).
NOT_UNITS: tuple[str, ...] = (
    "Hội thảo",  # workshop
    "Hội nghị",  # conference
    "Hội thi",  # contest
    "Hội chợ",  # fair
    "Hội diễn",  # festival of performances
    "Hội báo",  # press fair
    "Ban hành",  # to issue
    "Phòng chống",  # prevention
    "Phòng, chống",  # prevention
    "Trường hợp",  # case
    "Khu vực",  # area
    "Đoàn kết",  # solidarity
    "Đội ngũ",  # staff
    "Cục diện",  # situation
    "Trang bị",  # equipment
    "Trang trí",  # decoration
    "Trang phục",  # costume
    "Trang trọng",  # solemn
    "Bộ mặt",  # appearance
    "Bộ trưởng",  # minister (a person)
    "Sở hữu",  # ownership
    "Đài tưởng niệm",  # memorial
    "Trạm dừng",  # stop (bus stop)
    "Công ty hóa",  # corporatisation
    "Công ty hoá",  # corporatisation
    "Mặt trận này",  # this front (figurative)
)

# Visitor widget labels → the key they fill in ``visitor_stats``. NukeViet's statistics block
# (nukeviet/nukeviet themes/default/modules/statistics/global.counter.tpl with language/vi/global.php:
# online = "Đang truy cập", today = "Hôm nay", current_month = "Tháng hiện tại", hits = "Tổng lượt
# truy cập"; modules/statistics/language/vi.php: hits = "Lượt truy cập") and the Vietnamese titles
# sites give Vinaora Visitors Counter rows ("Hôm nay", "Hôm qua", "Tuần này", "Tuần trước", "Tháng
# này", "Tháng trước") are among these.
VISITOR_LABELS: dict[str, str] = {
    "Truy cập tổng": "total",  # total visits
    "Tổng truy cập": "total",  # total visits
    "Lượt truy cập": "total",  # visits
    "Tổng lượt truy cập": "total",  # total visits
    "Tổng số lượt truy cập": "total",  # total number of visits
    "Tổng lượng truy cập": "total",  # total traffic
    "Tổng số truy cập": "total",  # total number of visits
    "Đã truy cập": "total",  # visited
    "Số lượt truy cập": "total",  # number of visits
    "Tổng cộng": "total",  # in total
    "Truy cập hiện tại": "online",  # visiting now
    "Đang truy cập": "online",  # now visiting
    "Đang online": "online",  # online now
    "Đang trực tuyến": "online",  # online now
    "Trực tuyến": "online",  # online
    "Online": "online",
    "Hôm nay": "today",  # today
    "Truy cập trong ngày": "today",  # visits today
    "Trong ngày": "today",  # today
    "Hôm qua": "yesterday",  # yesterday
    "Tuần này": "this_week",  # this week
    "Trong tuần": "this_week",  # this week
    "Tuần trước": "last_week",  # last week
    "Tháng này": "this_month",  # this month
    "Trong tháng": "this_month",  # this month
    "Tháng hiện tại": "this_month",  # current month
    "Tháng trước": "last_month",  # last month
    "Năm nay": "this_year",  # this year
    "Trong năm": "this_year",  # this year
    # "Tổng số người truy cập" (total visitors): the total row of hand-made Vietnamese counter
    # widgets, seen in several public templates beside "Đang online" (e.g. a Blade "Thống kê truy
    # cập" view and a PHP admin "Thông tin truy cập" block found by find_string); no platform
    # module of the registry ships it, so it is kept to this one wording.
    "Tổng số người truy cập": "total",  # total visitors
    # Vinaora Visitors Counter (mod_vvisit_counter) keeps its English default row titles unless the
    # site types its own: today / yesterday / xweek / lweek / xmonth / lmonth / all = "Today",
    # "Yesterday", "This Week", "Last Week", "This Month", "Last Month", "All days" (field defaults of
    # 03Thuong/tmdt modules/mod_vvisit_counter/mod_vvisit_counter.xml, a fork of Vinaora's module;
    # its templates: ledongthuc/MangLuoiBDS and phongjalvn/gmtech modules/mod_vvisit_counter/).
    "Today": "today",
    "Yesterday": "yesterday",
    "This week": "this_week",
    "Last week": "last_week",
    "This month": "this_month",
    "Last month": "last_month",
    "All days": "total",
    # Drupal "visitors" module block: t('Total Visitors: %visitors') (src/Plugin/Block/VisitorsBlock.php,
    # _showTotalVisitors(); found by find_string, the index does not name its repository).
    "Total Visitors": "total",
}

# Rows of a visitor widget that count a part of another row: NukeViet's statistics block prints
# "Đang truy cập" (online) and below it its parts "Thành viên online" (users), "Máy chủ tìm kiếm"
# (bots), "Khách viếng thăm" (guests) (nukeviet/nukeviet themes/default/modules/statistics/
# global.counter.tpl, language/vi/global.php: online, users, bots, guests); Joomla's Who's Online
# "%s thành viên trực tuyến" (phongjalvn/gmtech language/vi-VN/vi-VN.mod_whosonline.ini). They
# are matched so that their "online" is not read as the online count.
VISITOR_PART_LABELS: tuple[str, ...] = (
    "Thành viên online",  # members online
    "Thành viên trực tuyến",  # members online
    "Máy chủ tìm kiếm",  # search engine bots
    "Khách viếng thăm",  # guests
    "Unique Visitors",  # Drupal visitors block: distinct IPs
    "Registered Users",  # Drupal visitors block: accounts
)

# Short row labels too common to trust alone, read only inside a widget found otherwise (under
# its heading, among other rows), a label at the start of its row: an ASP.NET counter control
# prints "Online: / Ngày: / Tuần: / Tháng: / Tổng :" under "Thống kê truy cập"
# (htphongqn/xinlinktube.com WEB_LinkTuBe/MVC_LinkTuBe/UIs/BoDem_TruyCap.ascx); the total row of
# Vinaora Visitors Counter and of VCNT Visitorcounter, whose titles are module parameters (today,
# yesterday, week, month, all: saris-software/joomla modules/mod_visitorcounter/mod_visitorcounter.php)
# that Vietnamese sites fill with "Hôm nay" … "Tất cả" (all).
WEAK_VISITOR_LABELS: dict[str, str] = {
    "Tất cả": "total",  # all
    "Tổng": "total",  # total
    "All": "total",
    "Total": "total",
    "Ngày": "today",  # day
    "Tuần": "this_week",  # week
    "Tháng": "this_month",  # month
}

# Heading of the visitor widget.
VISITOR_HEADINGS: tuple[str, ...] = (
    "Thống kê truy cập",  # visitor statistics
    "Số lượt truy cập",  # number of visits
    "Lượt truy cập",  # visits
    "Thống kê",  # statistics
    # Joomla vi-VN mod_stats: HIT COUNTER=Bộ đếm truy cập, STATISTICS=Số liệu thống kê
    # (phongjalvn/gmtech language/vi-VN/vi-VN.mod_stats.ini); mod_whosonline: WHO'S ONLINE=Ai đang
    # trực tuyến (vi-VN.mod_whosonline.ini); Drupal visitors block: admin_label "Visitors"; the link
    # Vinaora's counter closes with: "Visitors Counter".
    "Bộ đếm truy cập",  # hit counter
    "Bộ đếm",  # counter
    "Số liệu thống kê",  # statistics
    "Ai đang trực tuyến",  # who's online
    "Visitors",
    "Visitors Counter",
)

# The article's own view counter.
VIEW_LABELS: tuple[str, ...] = (
    "Lượt xem",  # views
    "Số lượt xem",  # number of views
    "Đã xem",  # viewed
    "Lượt đọc",  # reads
    "Số lần xem",  # times viewed
    "Số lần đọc",  # times read
    "Lượt truy cập bài viết",  # visits to the article
    "Xem",  # viewed
)

# Lines of a portal's footer (imprint): never article content, however long.
FOOTER_LABELS: tuple[str, ...] = (
    "Cơ quan chủ quản",  # managing agency
    "Cơ quan quản lý",  # managing agency
    "Ban biên tập",  # editorial board
    "Trưởng ban biên tập",  # editor-in-chief
    "Chịu trách nhiệm",  # responsible (for content)
    "Chịu trách nhiệm chính",  # chief responsible
    "Giấy phép",  # licence
    "Địa chỉ",  # address
    "Điện thoại",  # telephone
    "Email",
    "Fax",
    "Bản quyền",  # copyright
    "©",
    "Copyright",
    "Ghi rõ nguồn",  # cite the source (when republishing)
    "Thiết kế bởi",  # designed by
    "Phát triển bởi",  # developed by
)

# Words of class/id attributes that mark parts of an article (matched case-insensitively).
TITLE_HINTS = ("title", "tieude", "tieu-de", "tieu_de", "headline", "heading", "tde")
SUMMARY_HINTS = (
    "sapo",
    "summary",
    "tomtat",
    "tom-tat",
    "tom_tat",
    "lead",
    "trichdan",
    "mota",
    "intro",
    "description",
    "teaser",
    "hometext",  # NukeViet's lead
    "trichyeu",  # "trích yếu": abstract
)
SOURCE_HINTS = ("author", "tacgia", "tac-gia", "source", "nguon", "byline", "signature", "butdanh", *BYLINE_HINTS)
CONTENT_HINTS = (
    "content",
    "noidung",
    "noi-dung",
    "detail",
    "chitiet",
    "chi-tiet",
    "article",
    "entry",
    "post",
    "body",
    "story",
    "main",
)
CHROME_HINTS = (
    "footer",
    "header",
    "menu",
    "nav",
    "sidebar",
    "banner",
    "copyright",
    "widget",
    "box-right",
    "box-left",
    "comment",
    "breadcrumb",
    "duongdan",
    "quangcao",
    "advert",
    # overlays that cover a page in every language: cookie and privacy consent, sign-up prompts
    "cookie",
    "consent",
    "gdpr",
    "newsletter",
    "subscribe",
    "modal",
    "popup",
)
RELATED_HINTS = (
    "related",
    "othernews",
    "other-news",
    "tinkhac",
    "tin-khac",
    "cactinkhac",
    "lienquan",
    "tin-lien-quan",
    "samecategory",
)
