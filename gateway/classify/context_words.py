"""What an object key announces: the vocabulary that turns a JSON key into the detectors worth asking. Data only.

The scanner lowercases a key, splits it into words (camelCase and separators), and looks up the whole key joined,
then word pairs, then single words (a plural ``s`` stripped), in :data:`CONTEXT_WORDS`; a pair or whole key found
in :data:`NOT_CONTEXT_PAIRS` announces nothing and uses up its words. Chinese keys have no word breaks: every
substring of :data:`CONTEXT_CJK` found in the key adds its detectors.

Announcing is cheap for detectors whose validator is strong (checksums, allocation tables, lexicons) and costly for
weak ones: ``credential`` accepts any non-placeholder value under its key and ``person_name`` any name-shaped one,
so their words are precise (no bare ``pass``, ``key``, ``template`` or ``名``), and the pairs that reuse those words
for something else (``passwordPolicy``, ``companyName``, ``pageToken``) are listed in :data:`NOT_CONTEXT_PAIRS`.

Pinyin keys appear in full (``xingming``) and as the initials of each syllable (``xm``), as Chinese government and
enterprise schemas write them (GB/T 7408-style field naming in many provincial data catalogues).
"""

from __future__ import annotations

from gateway.classify.catalogue import DETECTOR_CATEGORIES

__all__ = [
    "CONTEXT_CJK",
    "CONTEXT_WORDS",
    "DETECTOR_IDS",
    "NOT_CONTEXT_CJK",
    "NOT_CONTEXT_PAIRS",
]

DETECTOR_IDS: frozenset[str] = frozenset(DETECTOR_CATEGORIES)
"""Every detector id a context entry may name (the contract shared with the scanner and the corpus)."""

_PHONE = frozenset({"cn_mobile", "sg_mobile", "cn_landline"})
_LANDLINE = frozenset({"cn_landline"})
_CN_ID = frozenset({"cn_resident_id"})
_SG_ID = frozenset({"sg_nric_fin"})
_GOV_ID = frozenset({"cn_resident_id", "sg_nric_fin"})
_ANY_ID_DOC = frozenset(
    {"cn_resident_id", "sg_nric_fin", "cn_passport", "sg_passport", "cn_mainland_travel_permit"}
)  # "certificate number": the holder chose which document
_USCC = frozenset({"cn_uscc"})
_UEN = frozenset({"sg_uen"})
_COMPANY_ID = frozenset({"cn_uscc", "sg_uen"})
_PASSPORT = frozenset({"cn_passport", "sg_passport"})
_PERMIT = frozenset({"cn_mainland_travel_permit"})
_CARD = frozenset({"bank_card"})
_ACCOUNT = frozenset({"bank_card", "iban"})
_IBAN = frozenset({"iban"})
_EMAIL = frozenset({"email"})
_IP = frozenset({"ip_address"})
_MAC = frozenset({"mac_address"})
_GEO = frozenset({"geo_coordinates"})
_DOB = frozenset({"date_of_birth"})
_NAME = frozenset({"person_name"})
_ADDRESS = frozenset({"postal_address"})
_HEALTH = frozenset({"health"})
_BIOMETRIC = frozenset({"biometric"})
_RELIGION = frozenset({"religion"})
_CREDENTIAL = frozenset({"credential"})
_PLATE = frozenset({"cn_plate"})


def _word_set(words: str) -> frozenset[str]:
    return frozenset(words.split())


def _words(announced: frozenset[str], words: str) -> dict[str, frozenset[str]]:
    """Each whitespace-separated word of ``words`` -> ``announced``."""
    return dict.fromkeys(words.split(), announced)


CONTEXT_WORDS: dict[str, frozenset[str]] = {
    # --- telephone numbers: every phone word announces the three phone detectors --------------------------------
    **_words(
        _PHONE,
        "phone phoneno phonenumber phonenum mobile mobileno mobilenumber mobilephone cellphone "
        "cell cellno tel telno telephone telephoneno msisdn contactno contactnumber contactphone "
        "contacttel handphone hp hpno whatsapp shouji shoujihao shoujihaoma sjh sjhm dianhua "
        "dianhuahaoma lianxidianhua lxdh shoujihm",
    ),
    **_words(
        _LANDLINE,
        "landline fixedline fax faxno zuoji guhua gddh chuanzhen",
    ),
    # --- identity documents -----------------------------------------------------------------------------------
    **_words(
        _CN_ID,
        "sfzh sfz sfzhm shenfenzheng shenfenzhenghao shenfenzhenghaoma residentid residentidno citizenid gmsfhm",
    ),
    **_words(
        _GOV_ID,
        "idcard idcardno idcardnumber idno idnumber idnum nationalid nationalidno identitycard "
        "identitycardno identityno identitynumber icno icnumber",
    ),
    **_words(
        _SG_ID,
        "nric nricno nricnumber nricfin fin finno uinfin",
    ),
    **_words(
        _ANY_ID_DOC,
        "certno certificateno documentno documentnumber zjhm zjh zhengjianhao",
    ),
    **_words(
        _PASSPORT,
        "passport passportno passportnumber passportnum huzhao huzhaohao hzh",
    ),
    **_words(
        _PERMIT,
        "travelpermit homereturnpermit mainlandtravelpermit huixiangzheng hxz taibaozheng tbz "
        "tongxingzheng txz gangaotongxingzheng",
    ),
    # --- organisations ------------------------------------------------------------------------------------------
    **_words(
        _USCC,
        "uscc creditcode socialcreditcode unifiedsocialcreditcode unifiedcreditcode tyshxydm "
        "shxydm xinyongdaima yyzz yingyezhizhao nsrsbh",
    ),
    **_words(
        _UEN,
        "uen uenno acrano businessregno companyregno companyregistrationno",
    ),
    **_words(
        _COMPANY_ID,
        "taxid taxno taxnumber businessid registrationnumber",
    ),
    # --- money --------------------------------------------------------------------------------------------------
    **_words(
        _CARD,
        "card cardno cardnumber cardnum bankcard bankcardno creditcard creditcardno debitcard pan "
        "ccnumber ccno yinhangka yinhangkahao yhk yhkh kahao",
    ),
    **_words(
        _ACCOUNT,
        "bankaccount bankaccountno accountno accountnumber acctno acctnumber zhanghao yinhangzhanghao yhzh",
    ),
    **_words(
        _IBAN,
        "iban ibanno",
    ),
    # --- online identifiers ---------------------------------------------------------------------------------------
    **_words(
        _EMAIL,
        "email emailaddress emailaddr mail mailaddress youxiang dianziyouxiang dzyx emailid",
    ),
    **_words(
        _IP,
        "ip ipaddress ipaddr ipv4 ipv6 clientip remoteip remoteaddr remoteaddress sourceip srcip destip dstip "
        "hostip serverip peerip realip xrealip forwardedfor xforwardedfor ipdizhi",
    ),
    **_words(
        _MAC,
        "mac macaddress macaddr hwaddr hardwareaddress bssid wifimac btmac bluetoothmac macdizhi",
    ),
    **_words(
        _GEO,
        "lat lng lon latitude longitude latlng latlon lnglat location loc coords coord coordinate "
        "coordinates geo geolocation gps geopoint weizhi jingdu weidu jingweidu dingwei zuobiao",
    ),
    # --- attributes of a person ---------------------------------------------------------------------------------
    **_words(
        _DOB,
        "dob birthday birthdate dateofbirth birth bday birthdt csrq chushengriqi shengri csny chushengnianyue chusheng",
    ),
    **_words(
        _NAME,
        "name fullname firstname lastname givenname surname familyname middlename forename "
        "realname legalname customername clientname contactname contactperson patientname "
        "employeename staffname holdername cardholder cardholdername accountholder "
        "accountholdername accountname payername payeename recipientname receivername sendername "
        "beneficiaryname guardianname spousename fathername mothername passengername membername "
        "studentname applicantname englishname chinesename xingming xm mingzi lianxiren lxr "
        "shoujianren sjr khxm zsxm fddbr fadingdaibiaoren drivername siji payee huming",
    ),
    **_words(
        _ADDRESS,
        "address addr homeaddress mailingaddress postaladdress residentialaddress billingaddress "
        "shippingaddress deliveryaddress streetaddress street addressline registeredaddress dizhi "
        "zhuzhi jiatingzhuzhi jtzz jtdz hjdz huji txdz tongxundizhi shdz shouhuodizhi lxdz "
        "juzhudi zhusuo",
    ),
    **_words(
        _HEALTH,
        "diagnosis diagnose healthcondition medical medicalcondition "
        "medicalhistory medicalrecord medication medicine illness disease allergy allergie "
        "symptom prescription icd icd10 icdcode diagnosiscode bloodtype bloodgroup "
        "pregnancy disability vaccination vaccine labresult jiankang jiankangzhuangkuang bingli "
        "binglihao bingshi zhenduan jibing bingqing yongyao guomin xuexing zhengzhuang zdjg zdmc jbbm jbmc jbzd",
    ),
    **_words(
        _BIOMETRIC,
        "face faceimage facephoto facepic facedata facetemplate facefeature faceembedding photo "
        "portrait selfie headshot fingerprint fingerprinttemplate fingertemplate iris irisscan "
        "iristemplate voiceprint biometric biometrictemplate featurevector palmprint renlian rlzp "
        "renlianzhaopian zhiwen hongmo shengwen zhaopian zp "
        "rltz rlzp rlmb rltp zwmb zwtz hmtz hmmb swtz swmb",
    ),
    **_words(
        _RELIGION,
        "religion religious faith belief denomination zongjiao zongjiaoxinyang xinyang zjxy",
    ),
    **_words(
        _CREDENTIAL,
        "password passwd pwd passcode passphrase secret clientsecret apisecret apikey apitoken "
        "accesskey secretkey privatekey signingkey encryptionkey masterkey token accesstoken "
        "refreshtoken authtoken idtoken sessiontoken bearertoken csrftoken jwt authorization "
        "credential otp mima denglumima dlmm miyao siyao lingpai fangwenlingpai",
    ),
    **_words(
        _PLATE,
        "chepai chepaihao cph plate plateno platenumber licenseplate licenceplate carplate "
        "vehicleplate vehicleno carno chepaihaoma",
    ),
}
"""Normalised key word (lowercase ASCII, separators removed) -> detectors it announces.

``id`` alone, ``key`` alone, ``pass``, ``no`` and ``number`` announce nothing: too generic to be worth a validation,
and ``pass``/``key`` would make the credential validator accept any value.
"""

NOT_CONTEXT_PAIRS: frozenset[str] = _word_set(
    # "name" of something that is not a person
    "companyname productname filename username hostname deptname departmentname "
    "itemname orgname organizationname organisationname brandname modelname servicename "
    "appname applicationname projectname bankname branchname shopname storename "
    "merchantname vendorname suppliername countryname cityname provincename streetname "
    "fieldname columnname tablename keyname classname typename domainname servername "
    "devicename eventname groupname rolename teamname tagname displayname screenname "
    "campaignname planname templatename schoolname hospitalname coursename documentname "
    "imagename packagename buildingname databasename dbname queuename topicname "
    "bucketname clustername regionname zonename skuname categoryname "
    "secretname jobname taskname nodename podname containername hotelname airlinename "
    "drugname "
    # credential words reused for settings and counters
    "passwordpolicy passwordexpiry passwordexpires passwordexpired passwordlength "
    "passwordstrength passwordrule passwordhint passwordchanged passwordupdated passwordlastset "
    "passwordage passwordenabled passwordrequired passwordset passwordless passwordreset "
    "passwordmin passwordmax tokentype tokenexpiry tokenexpires tokenurl tokenendpoint "
    "tokencount tokenlimit tokenusage maxtoken maxtokens inputtoken inputtokens outputtoken outputtokens "
    "totaltoken totaltokens prompttokens completiontokens cachedtokens reasoningtokens "
    "prompttoken completiontoken cachedtoken reasoningtoken pagetoken nexttoken "
    "continuationtoken synctoken devicetoken pushtoken secretquestion secretid keyid "
    "apikeyid apikeyname otplength otpexpiry tokenid "
    # addresses that are not postal
    "webaddress urladdress walletaddress contractaddress memoryaddress returnaddress "
    "bindaddress listenaddress serveraddress mailserver "
    # other words with a second meaning
    "birthplace placeofbirth locationid locationtype cardtype cardbrand cardlast4 "
    "cardlastfour cardexpiry cardholdertype phonetype phoneverified emailverified "
    "emailtemplate emailsubject emailbody mailbody mailsubject ipversion ipprotocol "
    "faceid photourl photocount healthcheck facevalue "
    "birthyear"
)
"""Whole keys or word pairs that announce nothing although their words would: the words are used up."""

CONTEXT_CJK: tuple[tuple[str, frozenset[str]], ...] = (
    # names: precise words only; 名 alone is in 用户名 (user name), 名称 (name of a thing), 签名 (signature)
    ("姓名", _NAME),
    ("司机", _NAME),
    ("户名", _NAME),
    ("名字", _NAME),
    ("联系人", _NAME),
    ("收件人", _NAME),
    ("收货人", _NAME),
    ("申请人", _NAME),
    ("持卡人", _NAME),
    ("法定代表人", _NAME),
    ("法人代表", _NAME),
    ("经办人", _NAME),
    ("负责人", _NAME),
    ("监护人", _NAME),
    ("英文名", _NAME),
    ("中文名", _NAME),
    # telephone
    ("手机", _PHONE),
    ("电话", _PHONE),
    ("座机", _PHONE),
    ("固话", _LANDLINE),
    ("传真", _LANDLINE),
    # documents
    ("身份证", _GOV_ID),
    ("公民身份号码", _CN_ID),
    ("证件号", _ANY_ID_DOC),
    ("护照", _PASSPORT),
    ("港澳通行证", _PERMIT),
    ("回乡证", _PERMIT),
    ("台胞证", _PERMIT),
    ("通行证", _PERMIT),
    ("统一社会信用代码", _USCC),
    ("信用代码", _USCC),
    ("营业执照", _USCC),
    ("纳税人识别号", _USCC),
    ("税号", _USCC),
    # money and contact
    ("银行卡", _CARD),
    ("卡号", _CARD),
    ("账号", _ACCOUNT),
    ("账户", _ACCOUNT),
    ("邮箱", _EMAIL),
    ("电子邮件", _EMAIL),
    ("邮件地址", _EMAIL),
    ("ip地址", _IP),
    ("IP地址", _IP),
    ("mac地址", _MAC),
    ("MAC地址", _MAC),
    ("经纬度", _GEO),
    ("经度", _GEO),
    ("纬度", _GEO),
    ("位置", _GEO),
    ("定位", _GEO),
    ("坐标", _GEO),
    # attributes
    ("地址", _ADDRESS),
    ("住址", _ADDRESS),
    ("住所", _ADDRESS),
    ("居住地", _ADDRESS),
    ("户籍", _ADDRESS),
    ("出生", _DOB),
    ("生日", _DOB),
    ("病", _HEALTH),  # 病历 病史 疾病 病情; in 病人姓名 the health validator (a lexicon) rejects the name
    ("诊断", _HEALTH),
    ("健康", _HEALTH),
    ("过敏", _HEALTH),
    ("用药", _HEALTH),
    ("血型", _HEALTH),
    ("症状", _HEALTH),
    ("体检", _HEALTH),
    ("宗教", _RELIGION),
    ("信仰", _RELIGION),
    ("人脸", _BIOMETRIC),
    ("面部", _BIOMETRIC),
    ("指纹", _BIOMETRIC),
    ("虹膜", _BIOMETRIC),
    ("声纹", _BIOMETRIC),
    ("掌纹", _BIOMETRIC),
    ("生物特征", _BIOMETRIC),
    ("照片", _BIOMETRIC),
    ("密码", _CREDENTIAL),
    ("口令", _CREDENTIAL),
    ("密钥", _CREDENTIAL),
    ("私钥", _CREDENTIAL),
    ("令牌", _CREDENTIAL),
    ("车牌", _PLATE),
)
"""Chinese (and mixed) key substrings -> detectors, matched case-sensitively (``IP地址`` and ``ip地址`` both listed;
bare ``IP``/``MAC`` are not, as they hide in ASCII keys such as ``ZIP`` or ``MACHINE``)."""

NOT_CONTEXT_CJK: frozenset[str] = frozenset(
    {
        "密码强度",
        "密码策略",
        "密码提示",
        "密码长度",
        "密码规则",
        "密码错误",
        "密码有效期",
        "密码过期",
        "照片数量",
        "用户名",
        "照片链接",
    }
)
"""Key substrings that cancel the CJK word inside them (密码强度: password strength, not a password). Optional for
the scanner: the CJK table alone cannot express them, since every listed substring adds its detectors."""
